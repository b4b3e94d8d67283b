// Each part of the per-request path, priced on its own: the operations the HTTP tracker performs for
// one request, before and after the change that moved in-flight requests onto their socket, run in a
// loop on real objects of a real request (Node's and Fastify's) inside that request's handler.
// Prints one JSON line for run.js: ns per request for each part, median over rounds.
import diagnosticsChannel from 'node:diagnostics_channel';
import { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import fastify from 'fastify';
import { Registry } from 'prom-client';
import {
  bufferedCounter,
  bufferedHistogram,
  counterSeries,
  histogramSeries,
} from '../dist/metrics/recording/buffered-series.js';
import { enqueueRequest, dequeueRequest } from '../dist/metrics/transports/http/request-state.js';
import { routeConfigOf } from '../dist/metrics/transports/fastify/fastify-internals.js';
import { median } from './lib/stats.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 9;
const CALLS = quick ? 100_000 : 400_000;
let sink = 0;

/** ns per call of `body(index)`, over `CALLS` calls. */
function price(body) {
  const startedAt = performance.now();
  for (let index = 0; index < CALLS; index++) body(index);
  return ((performance.now() - startedAt) * 1e6) / CALLS;
}

const registry = new Registry();
const labelNames = ['method', 'endpoint', 'status_code'];
const requests = bufferedCounter({
  name: 'parts_requests_total',
  help: 'x',
  labelNames,
  registers: [registry],
});
const histogram = (name) =>
  bufferedHistogram({
    name,
    help: 'x',
    labelNames: ['method', 'endpoint'],
    buckets: [0.01, 0.1, 1, 10],
    registers: [registry],
  });
const series = {
  count: counterSeries(requests, { method: 'GET', endpoint: '/items/:id', status_code: '200' }),
  duration: histogramSeries(histogram('parts_duration_seconds'), {
    method: 'GET',
    endpoint: '/items/:id',
  }),
  requestSize: histogramSeries(histogram('parts_request_bytes'), {
    method: 'GET',
    endpoint: '/items/:id',
  }),
  responseSize: histogramSeries(histogram('parts_response_bytes'), {
    method: 'GET',
    endpoint: '/items/:id',
  }),
};

const STATE = Symbol('state');
function noop() {}
const channel = diagnosticsChannel.channel('bench.parts.response.finish');
channel.subscribe(noop);

/** The parts, each as [before, after]; `undefined` where nothing changed. */
function parts(request, response, fastifyRequest) {
  const socket = request.socket;
  const responses = Array.from({ length: 1024 }, () => new ServerResponse(request));
  const inFlight = new Set();
  return {
    'server hook: a listener per response vs the response-finish channel': [
      (index) => {
        const each = responses[index & 1023];
        each.on('close', noop);
        each.removeListener('close', noop);
      },
      () => channel.publish({ request, response, socket, server: undefined }),
    ],
    'route lookup: Fastify routeOptions.config vs the route context': [
      () => (sink += fastifyRequest.is404 ? 0 : fastifyRequest.routeOptions.config.url.length),
      () => (sink += routeConfigOf(fastifyRequest).url.length),
    ],
    'the clock: performance.now() at arrival and at the end': [
      () => (sink += performance.now() - performance.now()),
      undefined,
    ],
    'in-flight tracking: a Set and a property per response vs a queue on the socket': [
      (index) => {
        const each = responses[index & 1023];
        const state = { startedAt: index };
        each[STATE] = state;
        inFlight.add(each);
        inFlight.delete(each);
      },
      (index) => {
        const state = { response, startedAt: index, next: undefined };
        enqueueRequest(socket, state);
        dequeueRequest(socket, response);
      },
    ],
    'response-size reading: socket bytes, Content-Length of request and response': [
      () => {
        sink += socket.bytesWritten;
        sink += Number(request.headers['content-length'] ?? 0);
        sink += Number(response.getHeader('content-length') ?? 0);
      },
      () => {
        sink += socket.bytesWritten;
        const raw = request.rawHeaders;
        for (let index = 0; index < raw.length; index += 2) {
          if (raw[index].length === 14 && raw[index].toLowerCase() === 'content-length') sink += 1;
        }
        sink += Number(response.getHeader('content-length') ?? 0);
      },
    ],
    'the recording itself: the count, the duration and both sizes': [
      (index) => {
        series.count.inc();
        series.duration.observe((index & 7) / 1000);
        series.requestSize.observe(0);
        series.responseSize.observe(42);
      },
      undefined,
    ],
  };
}

/** Runs the rounds inside a real Fastify request, where Node's and Fastify's objects are real. */
async function measure() {
  const app = fastify();
  let result;
  app.get('/items/:id', async (fastifyRequest, reply) => {
    const { raw: request } = fastifyRequest;
    const response = reply.raw;
    response.setHeader('content-length', '2');
    const table = parts(request, response, fastifyRequest);
    for (const [before, after] of Object.values(table)) {
      price(before);
      if (after) price(after);
    }
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const prices = {};
      for (const [name, [before, after]] of Object.entries(table)) {
        prices[name] = { before: price(before), after: after ? price(after) : undefined };
      }
      rounds.push(prices);
    }
    result = Object.fromEntries(
      Object.keys(table).map((name) => {
        const before = median(rounds.map((round) => round[name].before));
        const afters = rounds
          .map((round) => round[name].after)
          .filter((value) => value !== undefined);
        return [name, { before, after: afters.length ? median(afters) : before }];
      }),
    );
    return 'ok';
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const response = await fetch(`${base}/items/7`);
  if (!response.ok) throw new Error(`the priced request failed: ${response.status}`);
  await response.text();
  await app.close();
  return result;
}

const result = await measure();
process.stdout.write(
  `${JSON.stringify({ rounds: ROUNDS, calls: CALLS, parts: result, checksum: sink % 1000 })}\n`,
);
