/**
 * The library against a real Prometheus server, the way an operator runs it.
 *
 * One Prometheus (scraping every second) watches three targets: the demo service as a child process
 * (default options, /metrics behind a bearer token, the job name of deploy/prometheus/prometheus.yml)
 * and two in-process fixture apps, one with a prefix and default labels, one with grouped status
 * codes on Fastify (the others run on Express). A mixed workload runs twice through each, then the
 * answers come from Prometheus' HTTP API: exact request counts, ratios and counts computed in
 * PromQL, the deploy/ rules and every dashboard
 * query evaluated on live data, and proof that nothing was lost when Prometheus read the OpenMetrics
 * format it negotiates by itself.
 *
 * Format conformance: `promtool check metrics` (2.42, Debian's) only understands the classic text
 * format. It has no OpenMetrics mode (prometheus/prometheus#8932 is still open), and fed OpenMetrics
 * it reports "no help text" for every counter, because an OpenMetrics counter family is named
 * without `_total` while its sample carries it. So the text format is linted with promtool, and the
 * OpenMetrics output is held to two checks instead: Prometheus' own strict OpenMetrics parser reads
 * every sample of it without error, and it describes exactly the series, types and help texts of the
 * linted text output, family names differing only where OpenMetrics says they must.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import { join } from 'node:path';
import {
  MetricsService,
  UNMATCHED_ENDPOINT,
  type MetricsModuleOptions,
} from '../src/metrics/index.js';
import { createFixture, gate, type Fixture } from './fixtures/fixture-app.js';
import { buildDemo, startDemo, type DemoService } from './support/demo-service.js';
import { loadDashboard, resolveGrafanaVariables } from './support/dashboard.js';
import { familiesOf, parseExposition, seriesKey, sumOf } from './support/exposition.js';
import { freePort, listenAppOnLoopback, LOOPBACK } from './support/loopback.js';
import type { Platform } from './support/platforms.js';
import type { NodeBuild } from './support/node-build.js';
import { pollUntil } from './support/poll.js';
import { PROJECT_ROOT } from './support/project-root.js';
import {
  startPrometheus,
  type PrometheusServer,
  type QuerySample,
} from './support/prometheus-server.js';
import { describeWithBinary, PROMETHEUS_INSTALL_HINT, runBinary } from './support/promtool.js';

/** The job name deploy/prometheus/prometheus.yml gives a local service, which alerts.yml matches. */
const DEMO_JOB = 'nestjs-app';
const METRICS_TOKEN = 'e2e-scrape-token';
const OPENMETRICS_ACCEPT = 'application/openmetrics-text; version=1.0.0';
const ALERTS_FILE = join(PROJECT_ROOT, 'deploy/prometheus/alerts.yml');
/** 18 recording rules and 10 alerts, as test/deploy-rules.e2e-spec.ts counts them. */
const DEPLOYED_RULES = 28;
/** Every round changes the counters, so `rate()` over the last minute has something to show. */
const ROUNDS = 2;

interface ScrapedTarget {
  job: string;
  url: string;
  /** Prepended to every metric name. */
  prefix: string;
  bearerToken?: string;
  /** Requests sent, by method, endpoint label and status_code label. */
  sent: RequestTally;
}

interface FixtureVariant {
  job: string;
  options: MetricsModuleOptions;
  platform: Platform;
}

const FIXTURE_VARIANTS: FixtureVariant[] = [
  {
    job: 'fixture-prefixed',
    // Not `service`: external_api_calls_total has a label of that name, which would win.
    options: { prefix: 'shop_', defaultLabels: { team: 'checkout', region: 'eu-1' } },
    platform: 'express',
  },
  // On Fastify, so that Prometheus scrapes a target on each platform with the same expectations.
  { job: 'fixture-grouped', options: { groupStatusCodes: true }, platform: 'fastify' },
];
const ALL_JOBS = [DEMO_JOB, ...FIXTURE_VARIANTS.map((variant) => variant.job)];

/** One key per combination of the labels http_requests_total counts by. */
function requestKey(labels: Record<string, string>): string {
  return JSON.stringify([labels.method, labels.endpoint, labels.status_code]);
}

/** A `sum by (method, endpoint, status_code)` result in the shape of {@link RequestTally.toObject}. */
function countsByRequest(samples: readonly QuerySample[]): Record<string, number> {
  return Object.fromEntries(
    samples
      .map((s) => [requestKey(s.labels), s.value] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** Counts requests by the labels the library should give them. */
class RequestTally {
  private readonly counts = new Map<string, number>();

  constructor(private readonly statusLabel: (status: number) => string = String) {}

  add(method: string, endpoint: string, status: number): void {
    const key = requestKey({ method, endpoint, status_code: this.statusLabel(status) });
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  /** `["GET","/users/:id","200"]` → count, sorted, for comparing with {@link countsByRequest}. */
  toObject(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

interface RequestSpec {
  method?: 'GET' | 'POST';
  /** The route template the library should record as `endpoint`. */
  endpoint: string;
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}

/**
 * Sends one request, checks that it got the status the workload expects, and tallies it.
 * @throws Error when the status differs: every later expectation would be off.
 */
async function send(
  base: string,
  path: string,
  spec: RequestSpec,
  tally: RequestTally,
): Promise<unknown> {
  const method = spec.method ?? 'GET';
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(spec.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...spec.headers,
    },
    body: spec.json === undefined ? undefined : JSON.stringify(spec.json),
  });
  const text = await response.text();
  if (response.status !== spec.status) {
    throw new Error(
      `${method} ${path} answered ${response.status}, expected ${spec.status}: ${text}`,
    );
  }
  tally.add(method, spec.endpoint, response.status);
  return text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
}

/** What one demo round (below) does to the counters the decorators keep. */
const DEMO_ROUND = {
  cacheHits: 4,
  cacheMisses: 3,
  dbOperations: 9,
  dbErrors: 1,
  loginSuccesses: 1,
  loginFailures: 2,
};

/**
 * Reads users through the cache, writes, logs in with good and bad credentials, calls the guarded
 * route with and without a token, and ends in errors and a 404. The comments add up to DEMO_ROUND.
 */
async function demoRound(demo: DemoService, round: number, tally: RequestTally): Promise<void> {
  const call = (path: string, spec: RequestSpec) => send(demo.url, path, spec, tally);
  const user = {
    name: `Round ${round}`,
    email: `round-${round}@example.com`,
    password: 'correct-horse',
  };

  // db insert
  const created = (await call('/users', {
    method: 'POST',
    endpoint: '/users',
    status: 201,
    json: user,
  })) as {
    id: number;
  };
  // db insert failing on the unique email: the db error
  await call('/users', { method: 'POST', endpoint: '/users', status: 409, json: user });
  // cache miss + db select, then two cache hits
  for (let i = 0; i < 3; i++)
    await call(`/users/${created.id}`, { endpoint: '/users/:id', status: 200 });
  // cache miss + db select that finds nothing
  await call('/users/999999', { endpoint: '/users/:id', status: 404 });
  const login = { method: 'POST', endpoint: '/auth/login' } as const;
  // three logins, each a db select by email: one success, two failures
  const { token } = (await call('/auth/login', {
    ...login,
    status: 200,
    json: { email: user.email, password: user.password },
  })) as { token: string };
  await call('/auth/login', {
    ...login,
    status: 401,
    json: { email: user.email, password: 'wrong-password' },
  });
  await call('/auth/login', {
    ...login,
    status: 401,
    json: { email: 'nobody@example.com', password: user.password },
  });
  // the guard turns away a request without a token before any lookup
  await call('/auth/me', { endpoint: '/auth/me', status: 403 });
  // the guard resolves the token's user: a cache hit
  await call('/auth/me', {
    endpoint: '/auth/me',
    status: 200,
    headers: { authorization: `Bearer ${token}` },
  });
  await call('/items/5/price', { endpoint: '/items/:id/price', status: 200 });
  await call('/items/13/price', { endpoint: '/items/:id/price', status: 502 });
  await call('/items/7/fail', { endpoint: '/items/:id/fail', status: 500 });
  await call('/no/such/route', { endpoint: UNMATCHED_ENDPOINT, status: 404 });

  // GraphQL, one operation of each outcome; see DEMO_GRAPHQL_OPERATIONS.
  const graphql = (query: string, status = 200) =>
    call('/graphql', { method: 'POST', endpoint: '/graphql', status, json: { query } });
  // a cache hit: the REST reads above cached this user
  await graphql(`query OneUser { user(id: ${created.id}) { id name } }`);
  // a cache miss and a db select that finds nothing: NotFoundException, an error in a 200 response
  await graphql('{ user(id: 999999) { id } }');
  // a db insert
  await graphql(
    `mutation AddUser { createUser(name: "GraphQL ${round}", email: "graphql-${round}@example.com", password: "correct-horse") { id } }`,
  );
  await graphql('{ user(', 400);
  // the in-process TCP microservice: one quote answered, one refused (an RpcException)
  await call('/quotes?price=3&quantity=2', { endpoint: '/quotes', status: 200 });
  await call('/quotes?price=3&quantity=0', { endpoint: '/quotes', status: 400 });
  await chatRound(demo.url);
}

/** One socket.io client of the demo's ChatGateway: a message answered, one refused (a WsException). */
async function chatRound(url: string): Promise<void> {
  const chat = io(url, { transports: ['websocket'], reconnection: false });
  try {
    await new Promise((resolve, reject) => {
      chat.once('connect', () => resolve(undefined));
      chat.once('connect_error', reject);
    });
    const answered = new Promise((resolve) => chat.once('chat', resolve));
    chat.emit('chat', 'hello');
    await answered;
    const refused = new Promise((resolve) => chat.once('exception', resolve));
    chat.emit('chat', '');
    await refused;
  } finally {
    chat.disconnect();
  }
}

/** graphql_operations_total of one demo round, by operation type, name and status. */
const DEMO_GRAPHQL_OPERATIONS = [
  ['query', 'OneUser', 'success'],
  ['query', '<anonymous>', 'error'],
  ['mutation', 'AddUser', 'success'],
  ['<invalid>', '<invalid>', 'error'],
] as const;

/**
 * Holds a request open on each target until Prometheus has scraped it in progress: proof that the
 * gauge counts requests in flight, beyond its series existing.
 */
async function seeRequestsInProgress(
  prometheus: PrometheusServer,
  targets: readonly ScrapedTarget[],
): Promise<void> {
  const expectedArrivals = gate.arrived + targets.length;
  const held = targets.map((target) =>
    send(target.url, '/things/1/slow', { endpoint: '/things/:id/slow', status: 200 }, target.sent),
  );
  // Awaited below; this only keeps an early failure from counting as unhandled meanwhile.
  for (const request of held) request.catch(() => undefined);
  try {
    for (const target of targets) {
      const inProgress = `${target.prefix}http_requests_in_progress{job="${target.job}", endpoint="/things/:id/slow"}`;
      await pollUntil(`Prometheus to see a request in progress on ${target.job}`, async () =>
        (await prometheus.query(`${inProgress} == 1`)).length === 1 ? true : undefined,
      );
    }
  } finally {
    // A request counts as in progress from its arrival, a little before it reaches the gate; one
    // released too early would wait forever.
    await pollUntil('the held requests to reach the gate', async () =>
      gate.arrived >= expectedArrivals ? true : undefined,
    ).finally(() => gate.releaseAll());
    await Promise.all(held);
  }
}

/** Every way a fixture request can end, plus one recording of each kind the decorators make. */
async function fixtureRound(fixture: Fixture, target: ScrapedTarget): Promise<void> {
  const call = (path: string, spec: RequestSpec) => send(target.url, path, spec, target.sent);
  await call('/things/1', { endpoint: '/things/:id', status: 200 });
  await call('/things/abc', { endpoint: '/things/:id', status: 400 });
  await call('/things', {
    method: 'POST',
    endpoint: '/things',
    status: 201,
    json: { name: 'lamp' },
  });
  await call('/things', { method: 'POST', endpoint: '/things', status: 400, json: {} });
  await call('/things/1/missing', { endpoint: '/things/:id/missing', status: 404 });
  await call('/things/1/crash', { endpoint: '/things/:id/crash', status: 500 });
  await call('/things/1/guarded', { endpoint: '/things/:id/guarded', status: 403 });
  await call('/things/1/file', { endpoint: '/things/:id/file', status: 200 });
  await call('/no/such/route', { endpoint: UNMATCHED_ENDPOINT, status: 404 });

  const metrics = fixture.app.get(MetricsService);
  metrics.recordDbOperation('select', 'users', 'success', 0.002);
  metrics.recordDbOperation('insert', 'users', 'error', 0.01);
  metrics.recordCacheOperation('users', 'hit');
  metrics.recordCacheOperation('users', 'miss');
  metrics.recordBackgroundTask('report', 'started');
  metrics.recordBackgroundTask('report', 'succeeded', 0.2);
  metrics.recordExternalCall('pricing', 'get_price', 'success', 0.05);
  metrics.recordExternalCall('pricing', 'get_price', 'error', 0.5);
  metrics.recordAuthEvent('login', 'success');
  metrics.recordAuthEvent('login', 'failure');
  metrics.setQueueSize('emails', 3);
}

const groupedStatus = (status: number) => `${Math.floor(status / 100)}xx`;

/** The exposition as a client asking for `accept` gets it. */
async function scrape(target: ScrapedTarget, accept?: string): Promise<string> {
  const headers: Record<string, string> = {};
  if (accept) headers.accept = accept;
  if (target.bearerToken) headers.authorization = `Bearer ${target.bearerToken}`;
  const response = await fetch(`${target.url}/metrics`, { headers });
  if (!response.ok) throw new Error(`${target.job} /metrics answered ${response.status}`);
  return response.text();
}

/** The one value of an instant query that must return exactly one sample. */
async function single(prometheus: PrometheusServer, expr: string): Promise<number> {
  const samples = await prometheus.query(expr);
  if (samples.length !== 1) throw new Error(`${expr} returned ${samples.length} samples`);
  return samples[0].value;
}

/**
 * Waits until Prometheus' latest scrape of each target holds every request sent so far. The endpoint
 * /health is left out: the demo's readiness check calls it.
 */
async function waitForScrapes(
  prometheus: PrometheusServer,
  targets: readonly ScrapedTarget[],
): Promise<void> {
  for (const target of targets) {
    const expr = `sum(${target.prefix}http_requests_total{job="${target.job}", endpoint!="/health"})`;
    await pollUntil(
      `Prometheus to scrape ${target.sent.total} requests from ${target.job}`,
      async () =>
        (await prometheus.query(expr))[0]?.value === target.sent.total ? true : undefined,
      { attempts: 100, intervalMs: 100 },
    );
  }
}

/**
 * Families that rightly have no samples in this workload: prom-client keeps one series per kind of
 * libuv request in flight at the scrape (an idle process has none), no label set reaches the
 * series cap, so nothing has been dropped, and the scraped apps make no outbound HTTP call.
 */
const MAY_BE_EMPTY = [
  'nodejs_active_requests',
  'metrics_series_dropped',
  'http_client_requests',
  'http_client_request_duration_seconds',
  'http_client_errors',
];
/** How OpenMetrics names the samples of a family: counters `_total`, histograms `_bucket` etc. */
const SAMPLE_SUFFIXES = ['', '_total', '_bucket', '_sum', '_count', '_created', '_info'];

describeWithBinary(
  'prometheus',
  PROMETHEUS_INSTALL_HINT,
  'a real Prometheus scraping the library',
  (prometheusBinary) => {
    let demoBuild: Promise<NodeBuild> | undefined;
    let demo: DemoService | undefined;
    const fixtures: Fixture[] = [];
    let prometheus: PrometheusServer;
    const targets: ScrapedTarget[] = [];
    const fixtureTargets: ScrapedTarget[] = [];
    const targetOf = (job: string) => targets.find((target) => target.job === job)!;

    beforeAll(async () => {
      // The demo compiles in a child process while the fixtures and Prometheus start; Prometheus
      // needs the demo's address up front, so its port is chosen first.
      const demoPort = await freePort();
      demoBuild = buildDemo();
      // Awaited below; this only keeps an early failure from counting as unhandled meanwhile.
      demoBuild.catch(() => undefined);
      for (const variant of FIXTURE_VARIANTS) {
        const fixture = await createFixture({
          metrics: variant.options,
          platform: variant.platform,
        });
        fixtures.push(fixture);
        fixtureTargets.push({
          job: variant.job,
          url: await listenAppOnLoopback(fixture.app),
          prefix: variant.options.prefix ?? '',
          sent: new RequestTally(variant.options.groupStatusCodes ? groupedStatus : String),
        });
      }
      const demoTarget: ScrapedTarget = {
        job: DEMO_JOB,
        url: `http://${LOOPBACK}:${demoPort}`,
        prefix: '',
        bearerToken: METRICS_TOKEN,
        sent: new RequestTally(),
      };
      targets.push(demoTarget, ...fixtureTargets);
      prometheus = await startPrometheus(prometheusBinary, {
        targets: targets.map((t) => ({
          job: t.job,
          address: new URL(t.url).host,
          bearerToken: t.bearerToken,
        })),
        ruleFiles: [ALERTS_FILE],
      });
      demo = await startDemo(await demoBuild, {
        port: demoPort,
        env: { METRICS_AUTH_TOKEN: METRICS_TOKEN, ENABLE_METRICS: 'true' },
      });

      try {
        for (let round = 1; round <= ROUNDS; round++) {
          await demoRound(demo, round, demoTarget.sent);
          if (round === 1) await seeRequestsInProgress(prometheus, fixtureTargets);
          for (const [i, fixture] of fixtures.entries())
            await fixtureRound(fixture, fixtureTargets[i]);
          await waitForScrapes(prometheus, targets);
        }
      } catch (error) {
        // A failed scrape shows up here as a wait that never ends; say why Prometheus could not scrape.
        const targetStates = await prometheus.describeTargets();
        throw new Error(`${(error as Error).message}\nPrometheus targets:\n${targetStates}`, {
          cause: error,
        });
      }
    }, 90_000);

    afterAll(async () => {
      gate.releaseAll();
      await prometheus?.stop();
      await demo?.stop();
      await (await demoBuild?.catch(() => undefined))?.remove();
      for (const fixture of fixtures) await fixture.close();
    });

    describe('the demo service, answered by PromQL', () => {
      it('is up', async () => {
        expect(await prometheus.query(`up{job="${DEMO_JOB}"}`)).toEqual([
          { labels: { __name__: 'up', job: DEMO_JOB, instance: demo!.address }, value: 1 },
        ]);
      });

      it('counts exactly the requests sent, per method, endpoint and status code', async () => {
        const samples = await prometheus.query(
          `sum by (method, endpoint, status_code) (http_requests_total{job="${DEMO_JOB}", endpoint!="/health"})`,
        );
        const counted = countsByRequest(samples);
        expect(counted).toEqual(targetOf(DEMO_JOB).sent.toObject());
        expect(targetOf(DEMO_JOB).sent.total).toBe(ROUNDS * 21);
      });

      it('counts every GraphQL operation by type, name and outcome, and the exceptions thrown', async () => {
        const operations = await prometheus.query(
          `sum by (operation_type, operation_name, status) (graphql_operations_total{job="${DEMO_JOB}"})`,
        );
        const key = (labels: Record<string, string>) =>
          [labels.operation_type, labels.operation_name, labels.status].join(' ');
        expect(Object.fromEntries(operations.map((s) => [key(s.labels), s.value]))).toEqual(
          Object.fromEntries(DEMO_GRAPHQL_OPERATIONS.map((labels) => [labels.join(' '), ROUNDS])),
        );
        expect(
          await prometheus.query(
            `sum by (exception_type, operation_type, operation_name) (graphql_exceptions_total{job="${DEMO_JOB}"})`,
          ),
        ).toEqual([
          {
            labels: {
              exception_type: 'NotFoundException',
              operation_type: 'query',
              operation_name: '<anonymous>',
            },
            value: ROUNDS,
          },
        ]);
        // The demo times its declared resolvers: the two root fields, never the properties.
        const resolvers = await prometheus.query(
          `sum by (parent_type, field) (graphql_resolver_duration_seconds_count{job="${DEMO_JOB}"})`,
        );
        expect(
          Object.fromEntries(
            resolvers.map((s) => [`${s.labels.parent_type}.${s.labels.field}`, s.value]),
          ),
        ).toEqual({ 'Query.user': 2 * ROUNDS, 'Mutation.createUser': ROUNDS });
      });

      it('gives a finite p99 latency over the last minute', async () => {
        const p99 = await single(
          prometheus,
          'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))',
        );
        expect(Number.isFinite(p99)).toBe(true);
        expect(p99).toBeGreaterThan(0);
      });

      it('computes the cache hit ratio the workload produced', async () => {
        const ratio = await single(
          prometheus,
          `sum(cache_operations_total{job="${DEMO_JOB}", cache="users", result="hit"}) / sum(cache_operations_total{job="${DEMO_JOB}", cache="users"})`,
        );
        const hits = ROUNDS * DEMO_ROUND.cacheHits;
        expect(ratio).toBe(hits / (hits + ROUNDS * DEMO_ROUND.cacheMisses));
      });

      it('computes the database error ratio the workload produced', async () => {
        const ratio = await single(
          prometheus,
          `sum(database_operations_total{job="${DEMO_JOB}", status="error"}) / sum(database_operations_total{job="${DEMO_JOB}"})`,
        );
        expect(ratio).toBe((ROUNDS * DEMO_ROUND.dbErrors) / (ROUNDS * DEMO_ROUND.dbOperations));
      });

      it('counts the failed and the successful logins', async () => {
        const byResult = await prometheus.query(
          `sum by (result) (auth_events_total{job="${DEMO_JOB}", event="login"})`,
        );
        expect(Object.fromEntries(byResult.map((s) => [s.labels.result, s.value]))).toEqual({
          failure: ROUNDS * DEMO_ROUND.loginFailures,
          success: ROUNDS * DEMO_ROUND.loginSuccesses,
        });
      });

      it('counts the quotes its TCP microservice answered and refused, on both sides', async () => {
        const pattern = '{\\"cmd\\":\\"quote\\"}';
        for (const metric of ['rpc_messages_total', 'rpc_client_messages_total']) {
          const byStatus = await prometheus.query(
            `sum by (status) (${metric}{job="${DEMO_JOB}", transport="tcp", pattern="${pattern}", kind="message"})`,
          );
          expect(Object.fromEntries(byStatus.map((s) => [s.labels.status, s.value]))).toEqual({
            success: ROUNDS,
            error: ROUNDS,
          });
        }
        expect(
          await single(
            prometheus,
            `sum(rpc_exceptions_total{job="${DEMO_JOB}", exception_type="RpcException"})`,
          ),
        ).toBe(ROUNDS);
      });

      it('counts the chat messages and connections of its WebSocket gateway', async () => {
        const byStatus = await prometheus.query(
          `sum by (status) (websocket_messages_total{job="${DEMO_JOB}", gateway="ChatGateway", event="chat"})`,
        );
        expect(Object.fromEntries(byStatus.map((s) => [s.labels.status, s.value]))).toEqual({
          success: ROUNDS,
          error: ROUNDS,
        });
        expect(
          await single(
            prometheus,
            `sum(websocket_connections_total{job="${DEMO_JOB}", gateway="ChatGateway"})`,
          ),
        ).toBe(ROUNDS);
        // Every client has disconnected; the gauge of the same name is a family of its own.
        await pollUntil('no chat client connected in the latest scrape', async () =>
          (await single(
            prometheus,
            `sum(websocket_connections{job="${DEMO_JOB}", gateway="ChatGateway"})`,
          )) === 0
            ? true
            : undefined,
        );
        const metadata = await prometheus.api<Array<{ metric: string; type: string }>>(
          'targets/metadata',
          { match_target: `{job="${DEMO_JOB}"}` },
        );
        const typeOf = (metric: string) => metadata.find((m) => m.metric === metric)?.type;
        expect([typeOf('websocket_connections'), typeOf('websocket_connections_total')]).toEqual([
          'gauge',
          'unknown',
        ]);
      });

      it('evaluates every rule of deploy/prometheus/alerts.yml without error', async () => {
        const rules = await prometheus.api<{
          groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>;
        }>('rules');
        const all = rules.groups.flatMap((group) => group.rules);
        expect(all).toHaveLength(DEPLOYED_RULES);
        // Rules run every second; wait for one evaluation after the data arrived.
        await pollUntil('a recorded request rate for the demo', async () =>
          (await prometheus.query(`job:http_requests:rate5m{job="${DEMO_JOB}"} > 0`)).length === 1
            ? true
            : undefined,
        );
        const unhealthy = (await prometheus.api<typeof rules>('rules')).groups
          .flatMap((group) => group.rules)
          .filter((rule) => rule.health !== 'ok' || rule.lastError)
          .map((rule) => `${rule.name}: ${rule.health} ${rule.lastError ?? ''}`);
        expect(unhealthy).toEqual([]);
        // A rate needs two scrapes that saw the series: the cache's series can first appear a scrape
        // after the request counters did, so its ratio can be recorded an evaluation later.
        await pollUntil('a recorded cache hit ratio for the demo', async () =>
          (
            await prometheus.query(
              `job_cache:cache_operations:hit_ratio_rate5m{job="${DEMO_JOB}", cache="users"}`,
            )
          ).length === 1
            ? true
            : undefined,
        );
        const hitRatio = await single(
          prometheus,
          `job_cache:cache_operations:hit_ratio_rate5m{job="${DEMO_JOB}", cache="users"}`,
        );
        expect(hitRatio).toBeGreaterThan(0);
        expect(hitRatio).toBeLessThan(1);
        // Half of the demo's GraphQL operations answer with errors. As with the cache above, the
        // error series can reach a second scrape an evaluation after the others; until then the rule
        // records 0 for it (its `or … * 0` branch), so wait for the first ratio that counts errors.
        const graphqlErrors = await pollUntil(
          'a recorded GraphQL error ratio for the demo that counts its errors',
          async () => {
            // Throws while no ratio is recorded yet, which pollUntil counts as not ready.
            const ratio = await single(
              prometheus,
              `job:graphql_operations:error_ratio_rate5m{job="${DEMO_JOB}"}`,
            );
            return ratio > 0 ? ratio : undefined;
          },
        );
        expect(graphqlErrors).toBeGreaterThan(0);
        expect(graphqlErrors).toBeLessThan(1);
      });
    });

    describe('fixture apps with other options', () => {
      it('keeps the prefix and the default labels on every series Prometheus stored', async () => {
        const [prefixed] = fixtureTargets;
        const names = await prometheus.api<string[]>('label/__name__/values', {
          'match[]': `{job="${prefixed.job}"}`,
        });
        const own = names.filter(
          (name) =>
            !['up', 'scrape_duration_seconds'].includes(name) && !name.startsWith('scrape_'),
        );
        expect(own.filter((name) => !name.startsWith('shop_'))).toEqual([]);
        const unlabelled = await prometheus.query(
          `count({job="${prefixed.job}", __name__=~"shop_.+", team!="checkout"} or {job="${prefixed.job}", __name__=~"shop_.+", region!="eu-1"})`,
        );
        expect(unlabelled).toEqual([]);
        const counted = await single(
          prometheus,
          `sum(shop_http_requests_total{job="${prefixed.job}", team="checkout", region="eu-1"})`,
        );
        expect(counted).toBe(prefixed.sent.total);
      });

      it('stores grouped status codes only', async () => {
        const [, grouped] = fixtureTargets;
        const samples = await prometheus.query(
          `sum by (method, endpoint, status_code) (http_requests_total{job="${grouped.job}"})`,
        );
        const counted = countsByRequest(samples);
        expect(counted).toEqual(grouped.sent.toObject());
        expect(new Set(samples.map((s) => s.labels.status_code))).toEqual(
          new Set(['2xx', '4xx', '5xx']),
        );
      });
    });

    describe.each(ALL_JOBS)('OpenMetrics from %s, read by Prometheus', (name) => {
      const target = () => targetOf(name);

      it('is what Prometheus negotiated, and it read the help and type of every family', async () => {
        const openMetrics = await scrape(target(), OPENMETRICS_ACCEPT);
        const metadata = await prometheus.api<
          Array<{ metric: string; type: string; help: string }>
        >('targets/metadata', { match_target: `{job="${target().job}"}` });
        const stored = Object.fromEntries(
          metadata.map((m) => [m.metric, { type: m.type, help: m.help }]),
        );
        // An OpenMetrics counter family is `http_requests`; had Prometheus read the text format, it
        // would have recorded `http_requests_total` instead.
        expect(stored).toEqual(Object.fromEntries(familiesOf(openMetrics)));
        expect(stored[`${target().prefix}http_requests`]).toEqual({
          type: 'counter',
          help: expect.any(String),
        });
      });

      it('scrapes without error and drops nothing', async () => {
        const own = (await prometheus.targets()).filter((t) => t.labels.job === target().job);
        expect(own.map((t) => ({ health: t.health, lastError: t.lastError }))).toEqual([
          { health: 'up', lastError: '' },
        ]);

        // The number of series can still grow by one now and then (a new kind of GC), so compare a
        // scrape of ours with Prometheus' latest until both saw the same.
        const samples = await pollUntil(`matching sample counts for ${target().job}`, async () => {
          const count = parseExposition(await scrape(target(), OPENMETRICS_ACCEPT)).length;
          const scraped = await single(prometheus, `scrape_samples_scraped{job="${target().job}"}`);
          return scraped === count ? count : undefined;
        });
        expect(samples).toBeGreaterThan(100);

        const openMetrics = await scrape(target(), OPENMETRICS_ACCEPT);
        const names = new Set(
          await prometheus.api<string[]>('label/__name__/values', {
            'match[]': `{job="${target().job}"}`,
          }),
        );
        const exposed = [...new Set(parseExposition(openMetrics).map((s) => s.name))];
        expect(exposed.filter((n) => !names.has(n))).toEqual([]);
        // A family without samples cannot show whether it was dropped, so only the known ones may be.
        const families = [...familiesOf(openMetrics).keys()];
        const withSamples = new Set(
          // A family of the sample's own name first: `websocket_connections_total` is one (untyped),
          // beside the gauge family `websocket_connections`.
          exposed.map((sample) =>
            families.includes(sample)
              ? sample
              : families.find((f) => SAMPLE_SUFFIXES.some((suffix) => sample === f + suffix)),
          ),
        );
        const mayBeEmpty = new Set(MAY_BE_EMPTY.map((f) => target().prefix + f));
        expect(families.filter((f) => !withSamples.has(f) && !mayBeEmpty.has(f))).toEqual([]);
      });
    });

    describe('Prometheus itself', () => {
      it('rejected no sample and failed no rule evaluation', async () => {
        const own = await (await fetch(`${prometheus.url}/metrics`)).text();
        expect({
          outOfOrder: sumOf(own, 'prometheus_target_scrapes_sample_out_of_order_total'),
          duplicateTimestamp: sumOf(
            own,
            'prometheus_target_scrapes_sample_duplicate_timestamp_total',
          ),
          outOfBounds: sumOf(own, 'prometheus_target_scrapes_sample_out_of_bounds_total'),
          sampleLimit: sumOf(own, 'prometheus_target_scrapes_exceeded_sample_limit_total'),
          ruleFailures: sumOf(own, 'prometheus_rule_evaluation_failures_total'),
        }).toEqual({
          outOfOrder: 0,
          duplicateTimestamp: 0,
          outOfBounds: 0,
          sampleLimit: 0,
          ruleFailures: 0,
        });
      });
    });

    describeWithBinary(
      'promtool',
      PROMETHEUS_INSTALL_HINT,
      'promtool check metrics',
      (promtool) => {
        it.each(ALL_JOBS)('finds nothing in the text format of %s', async (name) => {
          const target = targetOf(name);
          const text = await scrape(target);
          const result = runBinary(promtool, ['check', 'metrics'], { input: text });
          expect(result.output).toBe('');
          expect(result.status).toBe(0);
        });

        it.each(ALL_JOBS)(
          'gets from OpenMetrics of %s the same series, types and help as from the linted text format',
          async (name) => {
            const target = targetOf(name);
            const [text, openMetrics] = await pollUntil(
              `two scrapes of ${name} with the same series`,
              async () => {
                const pair = [
                  await scrape(target),
                  await scrape(target, OPENMETRICS_ACCEPT),
                ] as const;
                const [a, b] = pair.map((body) => parseExposition(body).map(seriesKey).sort());
                return JSON.stringify(a) === JSON.stringify(b) ? pair : undefined;
              },
              { attempts: 5 },
            );
            expect(openMetrics.endsWith('# EOF\n')).toBe(true);
            expect(text).not.toContain('# EOF');
            const textFamilies = familiesOf(text);
            const asOpenMetrics = new Map(
              [...textFamilies].map(([family, meta]) => {
                if (meta.type !== 'counter') return [family, meta];
                const counterFamily = family.replace(/_total$/, '');
                // Where another metric holds that name, the counter stays itself, untyped.
                return counterFamily !== family && textFamilies.has(counterFamily)
                  ? [family, { ...meta, type: 'unknown' }]
                  : [counterFamily, meta];
              }),
            );
            expect(Object.fromEntries(familiesOf(openMetrics))).toEqual(
              Object.fromEntries(asOpenMetrics),
            );
          },
        );
      },
    );

    describe('deploy/grafana/dashboard.json', () => {
      const { queries } = loadDashboard();
      /** Queries the workload cannot give data to, and why. */
      const EXPECTED_EMPTY: Record<string, string> = {
        'Error ratio/B': 'the share of 499s: no client of the workload hangs up early',
      };

      it('has every query accepted by Prometheus', async () => {
        const rejected: string[] = [];
        for (const query of queries) {
          await prometheus.query(resolveGrafanaVariables(query.expr)).catch((error: Error) => {
            rejected.push(`${query.panel}/${query.refId}: ${error.message}`);
          });
        }
        expect(rejected).toEqual([]);
      });

      it('has data in every panel the workload feeds', async () => {
        const empty: string[] = [];
        for (const query of queries) {
          const samples = await prometheus.query(resolveGrafanaVariables(query.expr));
          if (samples.filter((s) => !Number.isNaN(s.value)).length === 0)
            empty.push(`${query.panel}/${query.refId}`);
        }
        expect(empty).toEqual(Object.keys(EXPECTED_EMPTY));
      });
    });
  },
);
