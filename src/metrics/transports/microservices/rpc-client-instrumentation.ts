/**
 * Measures what every `ClientProxy` sends (`send`, timed to its last reply) and emits (`emit`, timed
 * to its dispatch), whichever way the client was created.
 */
import { ClientProxy } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { Outcome } from '../../metrics.service.js';
import { activeMetricsService } from '../../decorators/active-metrics.js';
import { observeSettlement } from '../../recording/observe-settlement.js';
import { rpcClientMetricsOf, rpcPatternLabel } from '../transport-metrics.js';
import { clientRouteOf } from './nest-microservices-internals.js';

const INSTALLED = Symbol.for('nestjs-instrumentator.rpc-client');

type Send = (this: ClientProxy, pattern: unknown, data: unknown) => Observable<unknown>;

export function instrumentRpcClients(): void {
  const prototype = ClientProxy.prototype as unknown as Record<PropertyKey, unknown> & {
    send: Send;
    emit: Send;
  };
  if (prototype[INSTALLED]) return;
  prototype[INSTALLED] = true;

  const send = prototype.send;
  prototype.send = function (this: ClientProxy, pattern, data) {
    const sent = send.call(this, pattern, data);
    // `send` is cold: nothing leaves until a subscriber asks, and each subscriber sends again.
    return observeSettlement(sent, () => {
      const record = recorder(this, pattern, 'message');
      return (failed) => record(failed ? 'error' : 'success');
    });
  };

  const emit = prototype.emit;
  prototype.emit = function (this: ClientProxy, pattern, data) {
    const record = recorder(this, pattern, 'event');
    const emitted = emit.call(this, pattern, data);
    // `emit` is hot: it dispatches now, and a subscriber of ours changes nothing.
    emitted.subscribe({ error: () => record('error'), complete: () => record('success') });
    return emitted;
  };
}

function recorder(
  client: ClientProxy,
  pattern: unknown,
  kind: 'message' | 'event',
): (outcome: Outcome) => void {
  const service = activeMetricsService();
  const started = process.hrtime.bigint();
  return (outcome) => {
    if (!service) return;
    try {
      const labels = { transport: transportOf(client), pattern: patternOf(client, pattern), kind };
      const metrics = rpcClientMetricsOf(service);
      metrics.messagesTotal.inc({ ...labels, status: outcome });
      metrics.messageDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      service.errors.report('a microservice client message', error);
    }
  };
}

/** `ClientTCP` is `tcp`, `ClientRedis` is `redis`; a custom client keeps its class name. */
function transportOf(client: ClientProxy): string {
  const name = client.constructor.name;
  return /^Client[A-Z]/.test(name) ? name.slice('Client'.length).toLowerCase() : name;
}

function patternOf(client: ClientProxy, pattern: unknown): string {
  return rpcPatternLabel(clientRouteOf(client, pattern));
}
