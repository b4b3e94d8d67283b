// `npm run bench [-- --quick] [-- --only=throughput,graphql,scrape,cardinality,decorators,parts,outbound,paired,graphql-paired,features,instructions,outbound-instructions]`
// Builds the library, then measures every setup in its own server process on 127.0.0.1, driven from
// this process. A full run writes bench/RESULTS.md; a quick or partial one only prints.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  GRAPHQL_SETUPS,
  MANY_METHODS,
  MANY_ROUTES,
  MANY_STATUSES,
  PLATFORMS,
  SETUPS,
  SETUP_LABELS,
  platformOf,
} from './setups.js';
import { scrapeInTurns, sendAll, seriesCount } from './lib/http-client.js';
import { CONNECTIONS, GRAPHQL_MIX, REQUEST_MIX, load } from './lib/load.js';
import { median, mebibytes, percentile, rotated, signed } from './lib/stats.js';
import { ServerProcess } from './lib/server-process.js';
import { featuresReport, measureFeatures } from './lib/features.js';
import { measurePaired, pairedReport } from './lib/paired.js';
import { measureInstructions } from './instructions.js';
import { measureOutboundInstructions } from './outbound-instructions.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const runs = (phase) => !only || only.includes(phase);
// The twin, a second bare process, shows how far two identical setups drift apart on this machine.
const DEFAULT_SETUPS = ['bare', 'bare-twin', ...SETUPS.slice(1)];
const setups =
  args
    .find((arg) => arg.startsWith('--setups='))
    ?.slice('--setups='.length)
    .split(',') ?? DEFAULT_SETUPS;
// Every setup is compared with the bare app of its own platform, in the same rounds.
const platforms = Object.keys(PLATFORMS).filter((platform) =>
  setups.some((setup) => platformOf(setup) === platform),
);
for (const platform of [...platforms].reverse()) {
  if (!setups.includes(PLATFORMS[platform].bare)) setups.unshift(PLATFORMS[platform].bare);
}
/** The app a setup is compared with: its platform's bare app, or the bare GraphQL app. */
const bareOf = (setup) =>
  setup.startsWith('graphql-') ? GRAPHQL_SETUPS[0] : PLATFORMS[platformOf(setup)].bare;

// BENCH_EPOCHS, BENCH_ROUNDS (per epoch) and BENCH_SECONDS override the plan, for diagnosis.
const PLAN = {
  ...(quick
    ? {
        epochs: 1,
        roundsPerEpoch: 3,
        warmupSeconds: 2,
        loadSeconds: 3,
        scrapes: 60,
        bigScrapes: 10,
      }
    : {
        epochs: setups.length,
        roundsPerEpoch: 3,
        warmupSeconds: 3,
        loadSeconds: 2,
        scrapes: 300,
        bigScrapes: 30,
      }),
  rewarmSeconds: 1,
  unknownPaths: 10_000,
};
if (process.env.BENCH_EPOCHS) PLAN.epochs = Number(process.env.BENCH_EPOCHS);
if (process.env.BENCH_ROUNDS) PLAN.roundsPerEpoch = Number(process.env.BENCH_ROUNDS);
if (process.env.BENCH_SECONDS) PLAN.loadSeconds = Number(process.env.BENCH_SECONDS);
const live = new Set();
async function withServer(setup, options, use) {
  const server = await ServerProcess.start(setup, options);
  live.add(server);
  try {
    return await use(server);
  } finally {
    live.delete(server);
    await server.stop();
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const server of live) server.kill();
    process.exit(130);
  });
}

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Runs `measured` in rotated rounds driven with `mix`: the HTTP comparison by default, the GraphQL
 * one with GRAPHQL_SETUPS and GRAPHQL_MIX.
 */
async function measureThroughput(measured = setups, mix = REQUEST_MIX, epochs = PLAN.epochs) {
  const rounds = [];
  const peakRss = {};
  // The server started first ran faster than an identical one started after it (by 5–12 % on the
  // machines this was written on), so the servers are restarted for each epoch with another one first.
  for (let epoch = 0; epoch < epochs; epoch++) {
    const servers = [];
    try {
      for (const setup of rotated(measured, epoch)) {
        const server = await ServerProcess.start(setup);
        live.add(server);
        servers.push(server);
        await load(server, PLAN.warmupSeconds, mix);
      }
      log(`epoch ${epoch + 1}/${epochs}: started ${servers.map(({ setup }) => setup).join(', ')}`);
      for (let round = 0; round < PLAN.roundsPerEpoch; round++) {
        // Rotating the order spreads the drift of a shared machine over every setup alike. A process
        // that sat idle while the others ran comes back slower for a moment, so each run starts with a
        // short burst that is not measured.
        const order = rotated(servers, round);
        const results = {};
        for (const server of order) {
          await load(server, PLAN.rewarmSeconds, mix);
          results[server.setup] = await load(server, PLAN.loadSeconds, mix);
        }
        for (const setup of measured) {
          // A feature pair holds no bare app: its first setup is the baseline of the second.
          const bare = results[measured.includes(bareOf(setup)) ? bareOf(setup) : measured[0]];
          results[setup].ratio = results[setup].throughput / bare.throughput;
          results[setup].cpuRatio = bare.cpuPerRequest / results[setup].cpuPerRequest;
          results[setup].cpuOverBare = results[setup].cpuPerRequest - bare.cpuPerRequest;
        }
        rounds.push(results);
        log(
          `round ${rounds.length}/${epochs * PLAN.roundsPerEpoch}: ` +
            order
              .map(({ setup }) => `${setup} ${results[setup].throughput.toFixed(0)}/s`)
              .join(', '),
        );
      }
      for (const server of servers) {
        const { maxRss } = await server.ask('memory');
        peakRss[server.setup] = Math.max(peakRss[server.setup] ?? 0, maxRss);
      }
    } finally {
      for (const server of servers) {
        live.delete(server);
        await server.stop();
      }
    }
  }
  return { rounds, peakRss };
}

function summarizeThroughput({ rounds, peakRss }, measured = setups) {
  const rows = measured.map((setup) => {
    const ratios = rounds.map((round) => round[setup].ratio);
    const runs = rounds.map((round) => round[setup]);
    return {
      setup,
      throughput: median(runs.map((run) => run.throughput)),
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
      cpuPerRequest: median(runs.map((run) => run.cpuPerRequest)),
      cpuPerRound: runs.map((run) => run.cpuPerRequest),
      cpuOverBare: median(runs.map((run) => run.cpuOverBare)),
      cpuRatio: median(runs.map((run) => run.cpuRatio)),
      peakRss: peakRss[setup],
    };
  });
  // Per platform: in how many rounds our setup beat every peer, by throughput and by CPU per request.
  const aheadOfPeers = {};
  for (const platform of platforms) {
    const { ours, peers: allPeers } = PLATFORMS[platform];
    const peers = allPeers.filter((setup) => measured.includes(setup));
    if (!measured.includes(ours) || peers.length === 0) continue;
    const count = (better) =>
      rounds.filter((round) => peers.every((peer) => better(round[ours], round[peer]))).length;
    aheadOfPeers[platform] = {
      throughput: count((a, b) => a.ratio > b.ratio),
      cpu: count((a, b) => a.cpuPerRequest < b.cpuPerRequest),
    };
  }
  return { rows, aheadOfPeers, roundCount: rounds.length };
}

async function measureScrape(flags, populate, scrapes) {
  return withServer('instrumentator', { flags }, async (server) => {
    await populate(server);
    const renders = await server.ask('render', { iterations: scrapes });
    const [viaHttp, baselineHttp, floor] = await scrapeInTurns(
      [
        { port: server.port, path: '/metrics' },
        { port: server.baselinePort, path: '/' },
        // The round trip of the app's smallest answer: what any request costs on this machine.
        { port: server.port, path: '/' },
      ],
      scrapes,
    );
    return {
      series: seriesCount(viaHttp.body),
      bytes: viaHttp.body.length,
      metricsHttp: timings(viaHttp.milliseconds),
      promClientHttp: timings(baselineHttp.milliseconds),
      floorHttp: timings(floor.milliseconds),
      exposition: timings(renders.exposition),
      promClient: timings(renders.promClient),
    };
  });
}

const timings = (milliseconds) => ({
  p50: percentile(milliseconds, 0.5),
  p99: percentile(milliseconds, 0.99),
});

const sendMix = (server, count) =>
  sendAll(
    server.port,
    Array.from({ length: count }, (_, index) => REQUEST_MIX[index % 2]),
  );

async function measureScrapeCost() {
  log('scrape cost with the default series');
  const defaults = await measureScrape([], (server) => sendMix(server, 300), PLAN.scrapes);
  log(
    `scrape cost with many routes (${MANY_ROUTES} routes × ${MANY_METHODS.length} methods × ${MANY_STATUSES.length} statuses)`,
  );
  const requests = [];
  for (let route = 0; route < MANY_ROUTES; route++) {
    for (const method of MANY_METHODS) {
      for (const status of MANY_STATUSES)
        requests.push({ method, path: `/many/r${route}/${status}` });
    }
  }
  const many = await measureScrape(
    ['--many-routes'],
    (server) => sendAll(server.port, requests),
    PLAN.bigScrapes,
  );
  return { defaults, many };
}

async function probeCardinality() {
  const results = [];
  // Express setups only, to keep a full run within minutes; the Fastify rows are about request cost.
  for (const setup of [PLATFORMS.express.ours, ...PLATFORMS.express.peers]) {
    log(`cardinality probe: ${setup}`);
    results.push(
      await withServer(setup, {}, async (server) => {
        await sendMix(server, 500);
        const start = await snapshot(server);
        // The same number of requests to one unknown path first, so the memory that serving 404s costs
        // anyway (warm code, grown heap) is in the baseline and the probe measures distinctness alone.
        await sendAll(
          server.port,
          Array.from({ length: PLAN.unknownPaths }, () => ({
            method: 'GET',
            path: '/unknown/first',
          })),
        );
        const afterFirst = await snapshot(server);
        const unknown = Array.from({ length: PLAN.unknownPaths }, (_, index) => ({
          method: 'GET',
          path: `/unknown/${index}-${(index * 7919) % 10007}`,
        }));
        await sendAll(server.port, unknown);
        const after = await snapshot(server);
        return { setup, start, afterFirst, after };
      }),
    );
  }
  return results;
}

async function snapshot(server) {
  // Memory first: its full GC would otherwise add a GC-kind series to the scrape that follows.
  const { rss, heapUsed } = await server.ask('memory');
  const [{ milliseconds, body }] = await scrapeInTurns(
    [{ port: server.port, path: '/metrics' }],
    5,
  );
  return {
    series: seriesCount(body),
    httpSeries: seriesCount(body, (line) => line.startsWith('http_')),
    bytes: body.length,
    scrapeMs: median(milliseconds),
    rss,
    heapUsed,
  };
}

/** Runs a measuring script of bench/ in a process of its own and returns the JSON it prints last. */
function runMeasurement(script) {
  const output = execFileSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  return JSON.parse(output.trim().split('\n').pop());
}

function measureDecorators() {
  log('decorator cost');
  return runMeasurement('bench/decorator-cost.js');
}

function measureParts() {
  log('per-request parts');
  return runMeasurement('bench/parts-cost.js');
}

function measureOutbound() {
  log('outbound call cost');
  return runMeasurement('bench/outbound-cost.js');
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(cpus().length);
  const nestVersion = JSON.parse(
    readFileSync(`${ROOT}node_modules/@nestjs/core/package.json`, 'utf8'),
  ).version;
  return `${nproc} cores (nproc), ${model}, Node ${process.version}, NestJS ${nestVersion}, ${process.platform}`;
}

const fixed = (value, digits = 1) => value.toFixed(digits);
const mib = (bytes) => `${fixed(mebibytes(bytes))} MiB`;
const kib = (bytes) =>
  bytes >= 1024 * 1024 ? `${fixed(mebibytes(bytes), 2)} MiB` : `${fixed(bytes / 1024)} KiB`;
/** CPU µs per request over bare, as every table and target line writes it. */
const signedMicroseconds = (value) => signed(value, (number) => fixed(number, 1));

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A setup's CPU and throughput cells, as the HTTP and the GraphQL comparison tables show them. */
function comparisonCells(row) {
  return [
    SETUP_LABELS[row.setup],
    fixed(row.cpuPerRequest, 0),
    signedMicroseconds(row.cpuOverBare),
    fixed(row.cpuRatio, 3),
    fixed(row.throughput, 0),
    fixed(row.ratio, 3),
    `${fixed(row.ratioMin, 3)}–${fixed(row.ratioMax, 3)}`,
  ];
}

function report({ throughput, graphql, scrape, cardinality, decorators, parts, outbound }) {
  const sections = [];
  if (throughput) {
    const { rows, aheadOfPeers, roundCount } = throughput;
    sections.push(
      `### Server CPU per request and throughput (${roundCount} interleaved rounds in ${PLAN.epochs} restarts, runs of ${PLAN.loadSeconds} s, ${CONNECTIONS} connections, GET / · GET /items/:id?q=x · POST /users JSON)`,
    );
    for (const platform of platforms) {
      const { name, ours } = PLATFORMS[platform];
      const ahead = aheadOfPeers[platform];
      sections.push(
        `#### ${name}`,
        table(
          [
            'setup',
            'server CPU µs/req (median)',
            'CPU µs/req over bare (median)',
            'CPU ratio (median)',
            'req/s (median)',
            'throughput ratio (median)',
            'throughput ratio range',
            'p50 ms',
            'p99 ms',
            'peak RSS',
          ],
          rows
            .filter((row) => platformOf(row.setup) === platform)
            .map((row) => [
              ...comparisonCells(row),
              fixed(row.p50, 0),
              fixed(row.p99, 0),
              mib(row.peakRss),
            ]),
        ),
        ...(ahead
          ? [
              `${SETUP_LABELS[ours]} was ahead of every peer in ${ahead.throughput} of ${roundCount} rounds by throughput, ` +
                `and used less CPU per request than every peer in ${ahead.cpu} of ${roundCount}.`,
            ]
          : []),
      );
    }
    sections.push(
      '#### Server CPU µs per request, round by round',
      table(
        ['setup', ...rows[0].cpuPerRound.map((_, index) => String(index + 1))],
        rows.map((row) => [
          SETUP_LABELS[row.setup],
          ...row.cpuPerRound.map((value) => fixed(value, 0)),
        ]),
      ),
      'Server CPU µs/req is user + system time of the server process (every thread), read from ' +
        '`/proc/<pid>/stat` before and after each run, divided by the requests answered in it. Over bare and ' +
        "the CPU ratio (bare / setup) compare each setup with its platform's bare app in the same round; the " +
        'tables show their median over the rounds. CPU per request moves far less from round to round than ' +
        'throughput, which other processes taking turns on the cores disturb. The servers are started ' +
        `${PLAN.epochs} times, each time with another setup first; each time, every round runs every setup once, ` +
        `in rotated order, after an unmeasured ${PLAN.rewarmSeconds} s burst. The throughput ratio is the median ` +
        'over the rounds of throughput / bare throughput in the same round.',
    );
  }
  if (graphql) {
    sections.push(
      `### GraphQL (${graphql.roundCount} interleaved rounds in ${graphql.epochs} restarts, runs of ${PLAN.loadSeconds} s, ${CONNECTIONS} connections, POST /graphql: a named query · an anonymous query with two aliased fields · a mutation)`,
      table(
        [
          'setup',
          'server CPU µs/op (median)',
          'CPU µs/op over bare (median)',
          'CPU ratio (median)',
          'ops/s (median)',
          'throughput ratio (median)',
          'throughput ratio range',
        ],
        graphql.rows.map(comparisonCells),
      ),
      'The same method as above, between a bare Nest GraphQL app (Apollo on Express, one resolver), a second ' +
        'process of that app (the drift between two identical processes), and the same app with ' +
        'MetricsModule.forRoot(), which then also counts every operation in graphql_* metrics besides the HTTP ' +
        'ones. The ratios are to the bare GraphQL app in the same round.',
    );
  }
  if (scrape) {
    const row = (name, result) => [
      `${name}: ${result.series} series, ${kib(result.bytes)}`,
      `${fixed(result.metricsHttp.p50, 2)} / ${fixed(result.metricsHttp.p99, 2)}`,
      `${fixed(result.promClientHttp.p50, 2)} / ${fixed(result.promClientHttp.p99, 2)}`,
      `${fixed(result.floorHttp.p50, 2)} / ${fixed(result.floorHttp.p99, 2)}`,
      `${fixed(result.exposition.p50, 2)} / ${fixed(result.exposition.p99, 2)}`,
      `${fixed(result.promClient.p50, 2)} / ${fixed(result.promClient.p99, 2)}`,
      fixed(result.exposition.p50 / result.promClient.p50, 2),
    ];
    sections.push(
      '### Scrape cost (ms, p50 / p99; text format, no gzip)',
      table(
        [
          'registry',
          'GET /metrics',
          'prom-client over HTTP',
          'GET / (round-trip floor)',
          'exposition in-process',
          'registry.metrics() in-process',
          'ratio (in-process p50)',
        ],
        [row('default', scrape.defaults), row('many routes', scrape.many)],
      ),
      'Over HTTP, the three columns take turns on one connection each. "prom-client over HTTP" is a plain http ' +
        "server in the same process answering with prom-client's registry.metrics() of the same registry. " +
        'In-process, MetricsService.exposition() (what /metrics renders) and registry.metrics() take turns.',
    );
  }
  if (cardinality) {
    sections.push(
      `### Cardinality probe (${PLAN.unknownPaths.toLocaleString('en-US')} requests to distinct unknown paths)`,
      table(
        [
          'setup',
          'http_* series: start → before → after',
          'all series before → after',
          '/metrics size',
          'scrape ms',
          'RSS before → after',
          'heap used before → after',
        ],
        cardinality.map(({ setup, start, afterFirst, after }) => [
          SETUP_LABELS[setup],
          `${start.httpSeries} → ${afterFirst.httpSeries} → ${after.httpSeries} (${signed(after.httpSeries - afterFirst.httpSeries, String)})`,
          `${afterFirst.series} → ${after.series}`,
          `${kib(afterFirst.bytes)} → ${kib(after.bytes)}`,
          `${fixed(afterFirst.scrapeMs, 2)} → ${fixed(after.scrapeMs, 2)}`,
          `${mib(afterFirst.rss)} → ${mib(after.rss)} (${signed(after.rss - afterFirst.rss, mib)})`,
          `${mib(afterFirst.heapUsed)} → ${mib(after.heapUsed)} (${signed(after.heapUsed - afterFirst.heapUsed, mib)})`,
        ]),
      ),
      `"start" is after 500 requests of the mix; "before" after ${PLAN.unknownPaths.toLocaleString('en-US')} more to one unknown path ` +
        '(which creates the `<unmatched>` series and warms the 404 path); "after" after the distinct paths. ' +
        'Memory is read after a full GC. Series from the default metrics (GC kinds, heap spaces) come and go on their own, ' +
        'so the growth that counts is that of the http_* series.',
    );
  }
  if (decorators) {
    const row = (kind, result) => [
      kind,
      fixed(result.plainNs),
      fixed(result.trackedNs),
      fixed(result.addedNs),
    ];
    sections.push(
      `### Decorator cost (@TrackDbOperation, ns per call, median of ${decorators.rounds} rounds)`,
      table(
        ['method', 'undecorated', 'decorated', 'added'],
        [row('sync', decorators.sync), row('async (awaited)', decorators.async)],
      ),
    );
  }
  if (parts) {
    sections.push(
      `### The per-request path, part by part (ns per request, each part alone, median of ${parts.rounds} rounds)`,
      table(
        ['part', 'before', 'after'],
        Object.entries(parts.parts).map(([part, { before, after }]) => [
          part,
          fixed(before, 0),
          fixed(after, 0),
        ]),
      ),
      "Each part is the tracker's own operations for one request, run in a loop on the real objects of a real Fastify request (bench/parts-cost.js). Alone, they add up to well under the per-request totals above: under load, what a part touches is no longer in the cache, and what it allocates is collected with everything else.",
    );
  }
  if (outbound) {
    const range = ({ median, min, max }) => `${fixed(median)} (${fixed(min)} to ${fixed(max)})`;
    const row = (client, result) => [
      client,
      fixed(result.offUs),
      fixed(result.subscribedUs),
      fixed(result.floorUs),
      fixed(result.onUs),
      range(result.addedUs),
      range(result.subscribingUs),
      range(result.handlersUs),
      range(result.floorAddedUs),
      range(result.addedMedianUs),
      range(result.addedMeanUs),
      range(result.noiseUs),
    ];
    sections.push(
      `### Outbound call cost (process CPU µs per call, ${outbound.rounds} rounds of ${outbound.calls} calls in each state)`,
      table(
        [
          'client',
          'off',
          'no-op subscribers',
          'floor',
          'recorder on',
          'added by the recorder (min to max)',
          "of it, Node's publishing",
          "of it, the recorder's handlers",
          'added by the floor',
          'added, by whole-µs medians',
          'added, by the means',
          'off against off: the noise (min to max)',
        ],
        [row('fetch', outbound.fetch), row('http.request', outbound.httpRequest)],
      ),
      'One process: a local upstream, and a running MetricsModule whose outbound recorder is off, replaced by subscribers ' +
        'that do nothing, or by the floor (subscribers that only time each call), or on, or off again, taking turns in blocks of 50 calls ' +
        "(the first 5 after each switch not counted). Medians over the rounds of each round's mean of the middle 80 % of its calls " +
        "(GC pauses left out, resolution below the µs); the same by each round's per-call median (whole µs) and by its plain mean " +
        `(GC pauses included). ${outbound.countedCalls} calls made while recording, all counted.`,
    );
  }
  sections.push(
    '### Targets',
    targets({ throughput, graphql, scrape, cardinality, decorators, outbound }),
  );
  return sections.join('\n\n');
}

function targets({ throughput, graphql, scrape, cardinality, decorators, outbound }) {
  const lines = [];
  const check = (met, text) => lines.push(`- ${met ? 'met' : '**not met**'}: ${text}`);
  const graphqlOurs = graphql?.rows.find((row) => row.setup === 'graphql-instrumentator');
  const graphqlTwin = graphql?.rows.find((row) => row.setup === 'graphql-bare-twin');
  const httpOurs = throughput?.rows.find((row) => row.setup === PLATFORMS.express.ours);
  if (graphqlOurs && httpOurs) {
    // Two processes of one app differ by a few per cent; a gap smaller than that decides nothing.
    const drift = graphqlTwin ? Math.abs(1 - graphqlTwin.cpuRatio) : 0;
    const unresolved = Math.abs(graphqlOurs.cpuRatio - httpOurs.cpuRatio) <= drift;
    check(
      graphqlOurs.cpuRatio >= httpOurs.cpuRatio,
      `GraphQL instrumentation costs no more CPU per operation, relatively, than HTTP instrumentation per ` +
        `request (CPU ratio ${fixed(graphqlOurs.cpuRatio, 3)} vs ${fixed(httpOurs.cpuRatio, 3)}` +
        (graphqlTwin
          ? `; a second bare GraphQL process ${fixed(graphqlTwin.cpuRatio, 3)}` +
            (unresolved ? ', so the difference is within the drift: not resolved' : '')
          : '') +
        ')',
    );
  }
  if (throughput) {
    const row = (setup) => throughput.rows.find((candidate) => candidate.setup === setup);
    const overhead = {};
    for (const platform of platforms) {
      const { name, ours: oursSetup, peers, floor: floorSetup } = PLATFORMS[platform];
      const ours = row(oursSetup);
      if (!ours) continue;
      overhead[platform] = ours;
      // What the floor spends of a target is what no design that times every response can save.
      const floor = row(floorSetup);
      const floorCpu = floor ? `; the floor alone ${signedMicroseconds(floor.cpuOverBare)} µs` : '';
      const floorRatio = floor ? `; the floor alone ${fixed(floor.cpuRatio, 3)}` : '';
      check(
        ours.cpuOverBare <= 5,
        `${name}: at most 5 µs of server CPU per request over bare (${signedMicroseconds(ours.cpuOverBare)} µs${floorCpu})`,
      );
      check(
        ours.cpuRatio >= 0.97,
        `${name}: CPU ratio ≥ 0.97 (median ${fixed(ours.cpuRatio, 3)}${floorRatio})`,
      );
      check(
        ours.ratio >= 0.95,
        `${name}: throughput ≥ 0.95 × bare (median ratio ${fixed(ours.ratio, 3)})`,
      );
      for (const peer of peers.map(row).filter(Boolean)) {
        check(
          ours.ratio > peer.ratio && ours.cpuPerRequest < peer.cpuPerRequest,
          `${name}: ahead of ${SETUP_LABELS[peer.setup]} (throughput ratio ${fixed(ours.ratio, 3)} vs ${fixed(peer.ratio, 3)}, ` +
            `CPU µs/req ${fixed(ours.cpuPerRequest, 0)} vs ${fixed(peer.cpuPerRequest, 0)})`,
        );
      }
      const ahead = throughput.aheadOfPeers[platform];
      if (ahead) {
        check(
          ahead.throughput === throughput.roundCount,
          `${name}: ahead of every peer in every round by throughput (${ahead.throughput} of ${throughput.roundCount})`,
        );
      }
    }
    if (overhead.express && overhead.fastify) {
      check(
        overhead.fastify.cpuRatio >= overhead.express.cpuRatio &&
          overhead.fastify.ratio >= overhead.express.ratio,
        'on Fastify, no larger relative overhead than on Express ' +
          `(CPU ratio ${fixed(overhead.fastify.cpuRatio, 3)} vs ${fixed(overhead.express.cpuRatio, 3)}, ` +
          `throughput ratio ${fixed(overhead.fastify.ratio, 3)} vs ${fixed(overhead.express.ratio, 3)})`,
      );
    }
  }
  if (scrape) {
    const { many, defaults } = scrape;
    const overHttp = many.metricsHttp.p50 / many.promClientHttp.p50;
    const inProcess = many.exposition.p50 / many.promClient.p50;
    check(
      overHttp <= 1.2 && inProcess <= 1.2,
      `/metrics at ${many.series} series within 1.2 × prom-client's own rendering ` +
        `(p50 ratio ${fixed(overHttp, 2)} over HTTP, ${fixed(inProcess, 2)} in-process)`,
    );
    check(
      defaults.metricsHttp.p50 < 2,
      `/metrics p50 under 2 ms at the default series (${fixed(defaults.metricsHttp.p50, 2)} ms)`,
    );
  }
  const probe = cardinality?.find((result) => result.setup === 'instrumentator');
  if (probe) {
    const series = probe.after.httpSeries - probe.afterFirst.httpSeries;
    const rss = probe.after.rss - probe.afterFirst.rss;
    check(
      series <= 1,
      `series growth after ${PLAN.unknownPaths} unknown paths at most one (${series})`,
    );
    check(rss < 5 * 1024 * 1024, `RSS growth under 5 MiB (${mib(rss)})`);
  }
  if (decorators) {
    check(
      decorators.async.addedNs < 1000,
      `decorator under 1 µs per async call (${fixed(decorators.async.addedNs)} ns)`,
    );
  }
  if (outbound) {
    const { fetch, httpRequest } = outbound;
    check(
      Math.max(fetch.addedUs.median, httpRequest.addedUs.median) < 2,
      `outbound instrumentation under 2 µs of CPU per call (fetch ${fixed(fetch.addedUs.median)}, http.request ${fixed(httpRequest.addedUs.median)} µs)`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  log('building the library');
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const startedAt = Date.now();
  const results = {};
  if (runs('throughput')) results.throughput = summarizeThroughput(await measureThroughput());
  if (runs('graphql')) {
    const epochs = Math.min(PLAN.epochs, GRAPHQL_SETUPS.length * 2);
    const measured = await measureThroughput(GRAPHQL_SETUPS, GRAPHQL_MIX, epochs);
    results.graphql = { ...summarizeThroughput(measured, GRAPHQL_SETUPS), epochs };
  }
  if (runs('scrape')) results.scrape = await measureScrapeCost();
  if (runs('cardinality')) results.cardinality = await probeCardinality();
  if (runs('decorators')) results.decorators = measureDecorators();
  if (runs('parts')) results.parts = measureParts();
  if (runs('outbound')) results.outbound = measureOutbound();
  // `graphql-paired` is the GraphQL group with the Express one it is compared with, without Fastify.
  if (runs('paired') || only.includes('graphql-paired')) {
    results.paired = await measurePaired({
      rounds: Number(process.env.BENCH_PAIRED_ROUNDS) || (quick ? 8 : 20),
      seconds: 1,
      log,
      groups: runs('paired') ? undefined : ['express', 'graphql'],
    });
  }
  // Needs valgrind, so only when asked for by name (`--only=instructions`), never in a full run.
  if (only?.includes('instructions')) results.instructions = await measureInstructions(args, log);
  if (only?.includes('outbound-instructions'))
    results.outboundInstructions = await measureOutboundInstructions(args, log);
  // The feature costs: each pair in its own rounds, at most two restarts per pair.
  if (runs('features'))
    results.features = await measureFeatures(measureThroughput, Math.min(PLAN.epochs, 2));
  const minutes = (Date.now() - startedAt) / 60_000;
  const text = [
    `Measured with \`${command}\` on ${new Date().toISOString().slice(0, 10)}, in ${fixed(minutes)} min.`,
    `Machine: ${machine()}.`,
    report(results),
    ...(results.paired ? [pairedReport(results.paired)] : []),
    ...(results.features ? [featuresReport(results.features)] : []),
    ...(results.instructions ? [results.instructions] : []),
    ...(results.outboundInstructions ? [results.outboundInstructions] : []),
    'How each figure is measured, and what the CPU profile shows of the remaining cost: bench/README.md.',
  ].join('\n\n');
  process.stdout.write(`\n${text}\n`);
  if (!quick && !only && setups === DEFAULT_SETUPS) {
    writeFileSync(`${ROOT}bench/RESULTS.md`, `## Performance\n\n${text}\n`);
    log('wrote bench/RESULTS.md');
  }
}

main().catch((error) => {
  for (const server of live) server.kill();
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
