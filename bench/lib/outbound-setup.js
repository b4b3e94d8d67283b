// What bench/outbound-cost.js (CPU time) and bench/outbound-instructions.js (callgrind's counts)
// both measure: a local upstream, a running MetricsModule whose outbound recorder is switched between
// states, and the two clients, all in one process.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Agent, request } from 'node:http';
import { MetricsModule, MetricsService } from '../../dist/metrics/index.js';
import { startUpstream } from './upstream.js';

/**
 * `off` and `offAgain` are the same state, measured as two: what the second seems to add to the first
 * is what a method cannot tell from nothing. `subscribed` is subscribers that do nothing on the
 * recorder's channels, what Node and undici spend publishing to any subscriber.
 */
export const STATES = ['off', 'subscribed', 'on', 'offAgain'];

/**
 * Also known to `enter()` and `leave()`, for the CPU bench only: the least any recorder on these
 * channels does to time a call (see `timeOnly` below). What it adds over `off` is the floor that no
 * diagnostics-channel design gets under.
 */
export const FLOOR_STATE = 'floor';

/** The clients by name, each one call to the upstream that resolves once the body is read. */
export const CLIENT_NAMES = ['fetch', 'http.request'];

/**
 * Starts the upstream and the Nest application context, with the recorder stopped. `enter(state)`
 * and `leave(state)` switch it; `close()` checks that every call made while recording was counted,
 * once, and stops everything.
 */
export async function startOutboundBench() {
  const upstream = await startUpstream();
  const url = `http://127.0.0.1:${upstream.address().port}/quote`;

  class BenchModule {}
  Reflect.decorate(
    [Module({ imports: [MetricsModule.forRoot({ defaultMetrics: false })] })],
    BenchModule,
  );
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  const metrics = app.get(MetricsService);
  // The module's own recorder, switched on and off with the start() and stop() the module calls at
  // bootstrap and shutdown: every state runs in the same process, with the same warm code and heap.
  const recorder = metrics.httpClient;
  if (!recorder) throw new Error('MetricsModule created no outbound recorder');
  recorder.stop();

  // One keep-alive connection for each client, as an app calling one upstream reuses its connections.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const clients = {
    fetch: async () => {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`fetch answered ${response.status}`);
    },
    'http.request': () =>
      new Promise((resolve, reject) => {
        const outgoing = request(url, { agent }, (response) => {
          response.resume();
          response.on('end', resolve);
          response.on('error', reject);
        });
        outgoing.on('error', reject);
        outgoing.end();
      }),
  };

  // What subscribing costs by itself: Node builds and publishes each message to any subscriber, so
  // the same channels with subscribers that do nothing separate Node's share from the recorder's.
  const channels = recorder.handlers.map(([channel]) => channel);
  const doNothing = () => {};
  // The floor: a start time kept on the request when the call starts, and the time from it added to
  // one number when it is answered; nothing for the error channels, which a successful call never
  // publishes on. No labels, no series, no histogram. Four function literals, not two shared by both
  // clients: V8 keeps type feedback per literal, so a shared one would see fetch's and node:http's
  // request objects at the same property loads, a cost the floor must not carry.
  const startedAt = Symbol('floor start');
  let timedMs = 0;
  const timeOnly = {
    'undici:request:create': (message) => (message.request[startedAt] = performance.now()),
    'http.client.request.start': (message) => (message.request[startedAt] = performance.now()),
    'undici:request:headers': (message) =>
      (timedMs += performance.now() - message.request[startedAt]),
    'http.client.response.finish': (message) =>
      (timedMs += performance.now() - message.request[startedAt]),
  };
  const floorHandlers = channels.map((channel) => timeOnly[channel.name] ?? doNothing);
  let recordedCalls = 0;
  let floorEntered = false;
  const enter = {
    off: () => recorder.stop(),
    offAgain: () => recorder.stop(),
    subscribed: () => {
      for (const channel of channels) channel.subscribe(doNothing);
    },
    on: () => recorder.start(),
    [FLOOR_STATE]: () => {
      floorEntered = true;
      channels.forEach((channel, index) => channel.subscribe(floorHandlers[index]));
    },
  };
  const leave = {
    off: () => {},
    offAgain: () => {},
    subscribed: () => {
      for (const channel of channels) channel.unsubscribe(doNothing);
    },
    on: () => recorder.stop(),
    [FLOOR_STATE]: () =>
      channels.forEach((channel, index) => channel.unsubscribe(floorHandlers[index])),
  };

  return {
    clients,
    channels,
    enter: (state) => enter[state](),
    leave: (state) => leave[state](),
    /** Tells the final check how many calls were made while the recorder was on. */
    recorded: (calls) => (recordedCalls += calls),
    async close() {
      recorder.start();
      const counted = (
        await metrics.registry.getSingleMetric('http_client_requests_total').get()
      ).values
        .filter((value) => value.labels.status_code === '200')
        .reduce((sum, value) => sum + value.value, 0);
      agent.destroy();
      await app.close();
      upstream.closeAllConnections();
      upstream.close();
      // The figures mean something only if every call made while recording was counted, once.
      if (counted !== recordedCalls)
        throw new Error(`recorded ${counted} outbound calls, expected ${recordedCalls}`);
      if (floorEntered && !(timedMs > 0)) throw new Error('the floor state timed no call');
      return counted;
    },
  };
}
