// Nanoseconds that @TrackDbOperation adds to a call, sync and async, against the same method
// undecorated, in one process with a running MetricsModule. Prints one JSON line for run.js.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { performance } from 'node:perf_hooks';
import { MetricsModule, TrackDbOperation } from '../dist/metrics/index.js';
import { median } from './lib/stats.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const SYNC_CALLS = quick ? 300_000 : 2_000_000;
const ASYNC_CALLS = quick ? 50_000 : 300_000;

class Repository {
  findSync(id) {
    return id + 1;
  }
  async findAsync(id) {
    return id + 1;
  }
  trackedFindSync(id) {
    return id + 1;
  }
  async trackedFindAsync(id) {
    return id + 1;
  }
}
for (const name of ['trackedFindSync', 'trackedFindAsync']) {
  const descriptor = Object.getOwnPropertyDescriptor(Repository.prototype, name);
  const decorated = Reflect.decorate(
    [TrackDbOperation('select', 'users')],
    Repository.prototype,
    name,
    descriptor,
  );
  Object.defineProperty(Repository.prototype, name, decorated);
}

class BenchModule {}
Reflect.decorate([Module({ imports: [MetricsModule.forRoot()] })], BenchModule);
const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
await app.init();

const repository = new Repository();
let sink = 0;

function timeSync(method, calls) {
  const startedAt = performance.now();
  for (let index = 0; index < calls; index++) sink += repository[method](index);
  return ((performance.now() - startedAt) * 1e6) / calls;
}

async function timeAsync(method, calls) {
  const startedAt = performance.now();
  for (let index = 0; index < calls; index++) sink += await repository[method](index);
  return ((performance.now() - startedAt) * 1e6) / calls;
}

// Warm every path up so that the rounds compare optimized code.
timeSync('findSync', SYNC_CALLS / 10);
timeSync('trackedFindSync', SYNC_CALLS / 10);
await timeAsync('findAsync', ASYNC_CALLS / 10);
await timeAsync('trackedFindAsync', ASYNC_CALLS / 10);

const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const plainSync = timeSync('findSync', SYNC_CALLS);
  const trackedSync = timeSync('trackedFindSync', SYNC_CALLS);
  const plainAsync = await timeAsync('findAsync', ASYNC_CALLS);
  const trackedAsync = await timeAsync('trackedFindAsync', ASYNC_CALLS);
  rounds.push({ plainSync, trackedSync, plainAsync, trackedAsync });
}
await app.close();

const pick = (key) => median(rounds.map((round) => round[key]));
const added = (tracked, plain) => median(rounds.map((round) => round[tracked] - round[plain]));
process.stdout.write(
  `${JSON.stringify({
    rounds: ROUNDS,
    sync: {
      plainNs: pick('plainSync'),
      trackedNs: pick('trackedSync'),
      addedNs: added('trackedSync', 'plainSync'),
    },
    async: {
      plainNs: pick('plainAsync'),
      trackedNs: pick('trackedAsync'),
      addedNs: added('trackedAsync', 'plainAsync'),
    },
    checksum: sink % 1000,
  })}\n`,
);
