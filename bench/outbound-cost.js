// Process CPU that the outbound-call metrics add to one call, with global `fetch` and with
// `http.request`, in one process: a local upstream on 127.0.0.1, a running MetricsModule, and calls
// that alternate the module's outbound recorder subscribed and unsubscribed. Prints one JSON line for
// run.js.
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
/** Calls per round for each client and each state, one of each state in turn. */
const CALLS = Number(process.env.BENCH_OUTBOUND_CALLS ?? (quick ? 1_000 : 3_000));

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
// The module's own recorder, switched on and off between calls with the start() and stop() the
// module calls at bootstrap and shutdown: both states run the same process, warm code and heap.
const recorder = metrics.httpClient;
if (!recorder) throw new Error('MetricsModule created no outbound recorder');

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

/**
 * Process CPU (user + system, all threads) in µs of one call, the upstream's share included, up to
 * the turn after it: a request's `close` comes after its response's `end`.
 */
async function cpuOfCall(client, recording) {
  if (recording) recorder.start();
  else recorder.stop();
  const before = process.cpuUsage();
  await CLIENTS[client]();
  await nextTurn();
  const used = process.cpuUsage(before);
  if (recording) recordedCalls++;
  return used.user + used.system;
}

/**
 * Per-call CPU with and without the recorder, the states taking turns call by call (in the order
 * off-on, on-off, …), so that drift, other processes and GC pauses fall on both alike.
 */
async function measureRound(client, calls) {
  const cpu = { false: [], true: [] };
  for (let pair = 0; pair < calls; pair++) {
    const order = pair % 2 === 0 ? [false, true] : [true, false];
    for (const recording of order) cpu[recording].push(await cpuOfCall(client, recording));
  }
  const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    medianOff: median(cpu.false),
    medianOn: median(cpu.true),
    meanOff: mean(cpu.false),
    meanOn: mean(cpu.true),
  };
}

// Warm every path up in both states, so that the rounds compare optimized code.
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

const summary = (client) => {
  const of = (key) => rounds.map((round) => round[client][key]);
  const addedMedian = rounds.map((round) => round[client].medianOn - round[client].medianOff);
  const addedMean = rounds.map((round) => round[client].meanOn - round[client].meanOff);
  return {
    offUs: median(of('medianOff')),
    onUs: median(of('medianOn')),
    addedUs: median(addedMedian),
    addedMinUs: Math.min(...addedMedian),
    addedMaxUs: Math.max(...addedMedian),
    meanOffUs: median(of('meanOff')),
    meanOnUs: median(of('meanOn')),
    addedMeanUs: median(addedMean),
    addedMeanMinUs: Math.min(...addedMean),
    addedMeanMaxUs: Math.max(...addedMean),
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
