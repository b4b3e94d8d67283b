// Process CPU that the outbound-call metrics add to one call, with global `fetch` and with
// `http.request`, in one process: a local upstream on 127.0.0.1, a running MetricsModule, and calls
// made in turns with the module's outbound recorder off, with subscribers that do nothing on its
// channels, and on. Prints one JSON line for run.js.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { median } from './lib/stats.js';
import { FLOOR_STATE, STATES, startOutboundBench } from './lib/outbound-setup.js';

const quick = process.argv.includes('--quick');
const ROUNDS = Number(process.env.BENCH_OUTBOUND_ROUNDS ?? (quick ? 7 : 15));
/** Calls per round for each client and each state, the states taking turns. */
const CALLS = Number(process.env.BENCH_OUTBOUND_CALLS ?? (quick ? 1_000 : 3_000));
const BLOCK = 50;
const SETTLING = 5;

/** The floor is measured between the no-op subscribers and the recorder. */
const MEASURED_STATES = [...STATES.slice(0, 2), FLOOR_STATE, ...STATES.slice(2)];

const bench = await startOutboundBench();
const CLIENTS = bench.clients;
/**
 * Each state comes in every place in turn, after each other state, so that what follows a block
 * hits all alike: the rotations of one order, then of its reverse.
 */
const ORDERS = [MEASURED_STATES, [...MEASURED_STATES].reverse()].flatMap((order) =>
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
 * The mean of the middle 80 % of one state's calls. `process.cpuUsage()` counts whole µs, so a
 * per-call median moves in steps of 1 µs and cannot tell 1.6 from 2.4 against a 2 µs target; a plain
 * mean takes in GC pauses, tens of µs each. Leaving out the top and bottom tenth drops the pauses
 * and keeps a resolution below the µs.
 */
function trimmedMean(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length / 10);
  return mean(sorted.slice(cut, sorted.length - cut));
}

/**
 * Per-call CPU in each state, the states taking turns in blocks of {@link BLOCK} calls, so that
 * drift, other processes and GC pauses fall on all of them alike. Subscribing and unsubscribing swap
 * the channel objects' prototypes, which throws away optimized code that checks them: switching
 * before every call slowed every state (by 8 µs per `http.request` call in a trial run), so a state
 * is kept for a block and the first {@link SETTLING} calls after each switch are not counted.
 */
async function measureRound(client, calls) {
  const cpu = Object.fromEntries(MEASURED_STATES.map((state) => [state, []]));
  for (let turn = 0; turn < calls / BLOCK; turn++) {
    for (const state of ORDERS[turn % ORDERS.length]) {
      bench.enter(state);
      for (let call = 0; call < BLOCK; call++) {
        const used = await cpuOfCall(client);
        if (call >= SETTLING) cpu[state].push(used);
      }
      bench.leave(state);
      if (state === 'on') bench.recorded(BLOCK);
    }
  }
  const result = {};
  for (const [state, values] of Object.entries(cpu))
    result[state] = { trimmed: trimmedMean(values), median: median(values), mean: mean(values) };
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
const counted = await bench.close();

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
    offUs: median(of('off', 'trimmed')),
    subscribedUs: median(of('subscribed', 'trimmed')),
    floorUs: median(of(FLOOR_STATE, 'trimmed')),
    onUs: median(of('on', 'trimmed')),
    // The recorder as a whole: Node's publishing and the recorder's handlers.
    addedUs: added('on', 'off', 'trimmed'),
    // Node's publishing to subscribers that do nothing.
    subscribingUs: added('subscribed', 'off', 'trimmed'),
    // The recorder's handlers alone.
    handlersUs: added('on', 'subscribed', 'trimmed'),
    // The least any recorder on these channels adds: publishing, and timing the call.
    floorAddedUs: added(FLOOR_STATE, 'off', 'trimmed'),
    // The same as addedUs by cruder statistics: whole-µs medians, and means with the GC pauses.
    addedMedianUs: added('on', 'off', 'median'),
    addedMeanUs: added('on', 'off', 'mean'),
    // Two identical states: the resolution of the figures above.
    noiseUs: added('offAgain', 'off', 'trimmed'),
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
