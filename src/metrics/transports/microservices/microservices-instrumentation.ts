/**
 * Measures `@MessagePattern` and `@EventPattern` handlers of every `@nestjs/microservices` server in
 * the process, whichever way the app starts it (`createMicroservice`, `connectMicroservice`, with or
 * without `inheritAppConfig`). Loaded only when the package is installed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Transport, type Server } from '@nestjs/microservices';
import { measureHandler, noteHandlerException } from '../handler-recorder.js';
import { rpcMetricsOf, rpcPatternLabel, UNMATCHED_HANDLER } from '../transport-metrics.js';
import { activeMetricsService } from '../../decorators/active-metrics.js';
import { keepSignatures } from '../nest-internal.js';
import { locateMicroservicesInternals } from './nest-microservices-internals.js';
import { instrumentRpcClients } from './rpc-client-instrumentation.js';

type Kind = 'message' | 'event';
type Handler = ((...args: unknown[]) => unknown) & { next?: unknown };

const INSTALLED = Symbol.for('nestjs-instrumentator.microservices');
const INSTRUMENTED_SERVER = Symbol('nestjs-instrumentator.instrumentedServer');

/** When the message a server is handling now arrived (`process.hrtime.bigint()`). */
const arrivals = new AsyncLocalStorage<bigint>();

/**
 * Patches the shared prototypes once per process; every app's active metrics module records into it.
 * @throws NestInternalMovedError when a Nest internal it wraps has moved; nothing is patched then.
 */
export async function instrumentMicroservices(): Promise<void> {
  const { server: serverPrototype, rpcProxy } = await locateMicroservicesInternals();
  const installed = serverPrototype as unknown as Record<PropertyKey, unknown>;
  if (installed[INSTALLED]) return;
  installed[INSTALLED] = true;
  instrumentRpcClients();

  const addHandler = serverPrototype.addHandler;
  serverPrototype.addHandler = function (this: Server, pattern, callback, isEventHandler, extras) {
    instrumentServer(this);
    const kind: Kind = isEventHandler ? 'event' : 'message';
    const labels = {
      transport: transportOf(this),
      pattern: rpcPatternLabel(this.normalizePattern(pattern)),
      kind,
    };
    const measured = measureHandler(
      callback as Handler,
      'a microservice handler',
      (service, { outcome, exceptionType, durationSeconds }) => {
        const metrics = rpcMetricsOf(service);
        metrics.messagesTotal.inc({ ...labels, status: outcome });
        metrics.messageDuration.observe(labels, durationSeconds);
        if (exceptionType !== undefined) {
          metrics.exceptionsTotal.inc({
            transport: labels.transport,
            pattern: labels.pattern,
            exception_type: exceptionType,
          });
        }
      },
    );
    // Several event handlers of one pattern form a list through `next`, which Nest sets on the
    // registered function and reads back from its own closure: both must see the same property.
    Object.defineProperty(measured, 'next', {
      get: () => (callback as Handler).next,
      set: (next: unknown) => {
        (callback as Handler).next = next;
      },
    });
    return addHandler.call(this, pattern, measured as typeof callback, isEventHandler, extras);
  };

  // Servers without a handler of their own are never seen by addHandler, so the shared prototype
  // counts their messages; every other server counts its own (see instrumentServer).
  const handleEvent = serverPrototype.handleEvent;
  serverPrototype.handleEvent = function (this: Server, ...args) {
    return lookingUpEventIn(() => handleEvent.apply(this, args));
  };
  const getHandlerByPattern = serverPrototype.getHandlerByPattern;
  serverPrototype.getHandlerByPattern = function (this: Server, pattern) {
    const handler = getHandlerByPattern.call(this, pattern);
    if (
      handler == null &&
      !(this as unknown as Record<PropertyKey, unknown>)[INSTRUMENTED_SERVER]
    ) {
      countUnmatched(this, lookingUpEvent ? 'event' : 'message');
    }
    return handler;
  };

  const handleError = rpcProxy.handleError;
  rpcProxy.handleError = function (this: unknown, ...args: unknown[]) {
    noteHandlerException(args[2]);
    return handleError.apply(this, args);
  };
  keepSignatures(serverPrototype, { addHandler, handleEvent, getHandlerByPattern });
  keepSignatures(rpcProxy, { handleError });
}

// Servers look a handler up in handleEvent for events and in their own handleMessage for requests;
// this flag, set only during handleEvent's synchronous lookup, tells the two apart.
let lookingUpEvent = false;

function lookingUpEventIn<T>(run: () => T): T {
  const outer = lookingUpEvent;
  lookingUpEvent = true;
  try {
    return run();
  } finally {
    lookingUpEvent = outer;
  }
}

/**
 * Wraps this server's own methods, as its transport calls them per incoming message (each looked up
 * on the instance every time):
 * - `handleMessage` notes when each message arrived, so that one no handler matches can be timed;
 * - `getHandlerByPattern` counts a miss only when the server's whole lookup misses: a transport may
 *   look again its own way after the shared exact lookup (ServerKafka and ServerRMQ match wildcard
 *   and RegExp patterns), so a miss of the shared lookup alone is no unmatched message;
 * - `handleEvent` marks the lookups it makes as events, also where a transport overrides it.
 */
function instrumentServer(server: Server): void {
  const target = server as unknown as Record<PropertyKey, unknown>;
  if (target[INSTRUMENTED_SERVER]) return;
  target[INSTRUMENTED_SERVER] = true;
  const own = (name: string) => target[name] as ((...args: unknown[]) => unknown) | undefined;

  const handleMessage = own('handleMessage');
  if (typeof handleMessage === 'function') {
    target.handleMessage = function (this: unknown, ...args: unknown[]): unknown {
      if (!activeMetricsService()) return handleMessage.apply(this, args);
      return arrivals.run(process.hrtime.bigint(), () => handleMessage.apply(this, args));
    };
  }
  const getHandlerByPattern = own('getHandlerByPattern');
  if (typeof getHandlerByPattern === 'function') {
    target.getHandlerByPattern = function (this: Server, ...args: unknown[]): unknown {
      const handler = getHandlerByPattern.apply(this, args);
      if (handler == null) countUnmatched(this, lookingUpEvent ? 'event' : 'message');
      return handler;
    };
  }
  const handleEvent = own('handleEvent');
  if (typeof handleEvent === 'function') {
    target.handleEvent = function (this: unknown, ...args: unknown[]): unknown {
      return lookingUpEventIn(() => handleEvent.apply(this, args));
    };
  }
}

/**
 * Counts and times a message or event that matched no handler. The server answers a message with an
 * error reply (and logs an event) synchronously right after the failed lookup, so a microtask queued
 * here runs once that is done: the duration spans arrival to error reply. A lookup outside any
 * `handleMessage` (a custom transport) is timed from the lookup itself.
 */
function countUnmatched(server: Server, kind: Kind): void {
  const service = activeMetricsService();
  if (!service) return;
  const started = arrivals.getStore() ?? process.hrtime.bigint();
  const transport = transportOf(server);
  queueMicrotask(() => {
    try {
      const metrics = rpcMetricsOf(service);
      const labels = { transport, pattern: UNMATCHED_HANDLER, kind };
      metrics.messagesTotal.inc({ ...labels, status: 'error' });
      metrics.messageDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      service.errors.report('an unmatched microservice message', error);
    }
  });
}

/** `tcp`, `redis`, …; a custom transport strategy is named by its symbol's description or class. */
function transportOf(server: Server): string {
  const id: unknown = server.transportId;
  if (typeof id === 'number' && Transport[id] !== undefined) return Transport[id].toLowerCase();
  if (typeof id === 'symbol' && id.description) return id.description;
  return server.constructor.name;
}
