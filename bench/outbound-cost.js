// Process CPU that the outbound-call metrics add to one call, with global `fetch` and with
// `http.request`, in one process: a local upstream on 127.0.0.1, a running MetricsModule, and calls
// made in turns with the module's outbound recorder off, with subscribers that do nothing on its
// channels, and on. Prints one JSON line for run.js.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Agent, request } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MetricsModule, MetricsService } from '../dist/metrics/index.js';
import { median } from './lib/stats.js';
import { startUpstream } from './lib/upstream.js';

const quick = process.argv.includes('--quick');
const ROUNDS = Number(process.env.BENCH_OUTBOUND_ROUNDS ?? (quick ? 7 : 15));
/** Calls per round for each client and each state, the states taking turns. */
const CALLS = Number(process.env.BENCH_OUTBOUND_CALLS ?? (quick ? 1_000 : 3_000));
const BLOCK = 50;
const SETTLING = 5;

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
const CLIENTS = {
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

let recordedCalls = 0;

// What subscribing costs by itself: Node builds and publishes each message to any subscriber, so
// the same channels with subscribers that do nothing separate Node's share from the recorder's.
const CHANNELS = recorder.handlers.map(([channel]) => channel);
const doNothing = () => {};
// `offAgain` is the same as `off`, measured as a state of its own: what it seems to add to `off` is
// what this method cannot tell from nothing.
const ENTER = {
  off: () => recorder.stop(),
  offAgain: () => recorder.stop(),
  subscribed: () => {
    for (const channel of CHANNELS) channel.subscribe(doNothing);
  },
  on: () => recorder.start(),
};
const LEAVE = {
  off: () => {},
  offAgain: () => {},
  subscribed: () => {
    for (const channel of CHANNELS) channel.unsubscribe(doNothing);
  },
  on: () => recorder.stop(),
};
/**
 * Each state comes in every place in turn, after each other state, so that what follows a block
 * hits all alike: the rotations of one order, then of its reverse.
 */
const STATES = ['off', 'subscribed', 'on', 'offAgain'];
const ORDERS = [STATES, [...STATES].reverse()].flatMap((order) =>
  order.map((_, first) => [...order.slice(first), ...order.slice(0, first)]),
);

/**
 * Process CPU (user + system, all threads) in µs of one call, the upstream's share included, up to
 * the turn after it: a request's `close` comes after its response's `end`.
 */
async function cpuOfCall(client) {
  const before = process.cpuUsage();
  await CLIENTS[client]();
  await nextTurn();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * Per-call CPU in each state, the states taking turns in blocks of {@link BLOCK} calls, so that
 * drift, other processes and GC pauses fall on all of them alike. Subscribing and unsubscribing swap
 * the channel objects' prototypes, which throws away optimized code that checks them: switching
 * before every call slowed every state (by 8 µs per `http.request` call in a trial run), so a state
 * is kept for a block and the first {@link SETTLING} calls after each switch are not counted.
 */
async function measureRound(client, calls) {
  const cpu = Object.fromEntries(STATES.map((state) => [state, []]));
  for (let turn = 0; turn < calls / BLOCK; turn++) {
    for (const state of ORDERS[turn % ORDERS.length]) {
      ENTER[state]();
      for (let call = 0; call < BLOCK; call++) {
        const used = await cpuOfCall(client);
        if (call >= SETTLING) cpu[state].push(used);
      }
      LEAVE[state]();
      if (state === 'on') recordedCalls += BLOCK;
    }
  }
  const result = {};
  for (const [state, values] of Object.entries(cpu))
    result[state] = { median: median(values), mean: mean(values) };
  return result;
}

// Warm every path up in every state, so that the rounds compare optimized code.
for (const client of Object.keys(CLIENTS)) await measureRound(client, CALLS);

const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const result = {};
  for (const client of Object.keys(CLIENTS)) result[client] = await measureRound(client, CALLS);
  rounds.push(result);
}
recorder.start();

// The figures mean something only if every call made while recording was counted, once.
const counted = (await metrics.registry.getSingleMetric('http_client_requests_total').get()).values
  .filter((value) => value.labels.status_code === '200')
  .reduce((sum, value) => sum + value.value, 0);
if (counted !== recordedCalls)
  throw new Error(`recorded ${counted} outbound calls, expected ${recordedCalls}`);

agent.destroy();
await app.close();
upstream.closeAllConnections();
upstream.close();

/** Medians over the rounds: each state's per-call CPU, and what `state` adds to `baseline`. */
const summary = (client) => {
  const of = (state, statistic) => rounds.map((round) => round[client][state][statistic]);
  const added = (state, baseline, statistic) => {
    const values = rounds.map(
      (round) => round[client][state][statistic] - round[client][baseline][statistic],
    );
    return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  };
  return {
    offUs: median(of('off', 'median')),
    subscribedUs: median(of('subscribed', 'median')),
    onUs: median(of('on', 'median')),
    // The recorder as a whole: Node's publishing and the recorder's handlers.
    addedUs: added('on', 'off', 'median'),
    // Node's publishing to subscribers that do nothing.
    subscribingUs: added('subscribed', 'off', 'median'),
    // The recorder's handlers alone.
    handlersUs: added('on', 'subscribed', 'median'),
    addedMeanUs: added('on', 'off', 'mean'),
    // Two identical states: the resolution of the figures above.
    noiseUs: added('offAgain', 'off', 'median'),
  };
};
process.stdout.write(
  `${JSON.stringify({
    rounds: ROUNDS,
    calls: CALLS,
    countedCalls: counted,
    fetch: summary('fetch'),
    httpRequest: summary('http.request'),
  })}\n`,
);
