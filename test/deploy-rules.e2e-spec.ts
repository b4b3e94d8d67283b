/**
 * Keeps the operator files in deploy/ honest: the Prometheus config and rules
 * must load in promtool, the rule unit tests must pass, and the Grafana
 * dashboard may only query metrics this library actually exposes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDashboard, resolveGrafanaVariables } from './support/dashboard.js';
import { PROJECT_ROOT as ROOT } from './support/project-root.js';
import { describeWithBinary, PROMETHEUS_INSTALL_HINT, runBinary } from './support/promtool.js';

const PROM_DIR = join(ROOT, 'deploy/prometheus');

/** 18 recording rules + 10 alerts. Changing alerts.yml means changing this on purpose. */
const EXPECTED_RULES = 28;

/** What the library exposes with default options (no prefix). */
const HISTOGRAMS = [
  'http_request_duration_seconds',
  'http_request_size_bytes',
  'http_response_size_bytes',
  'database_operation_duration_seconds',
  'background_task_duration_seconds',
  'external_api_call_duration_seconds',
  'graphql_operation_duration_seconds',
  'graphql_resolver_duration_seconds',
  'rpc_message_duration_seconds',
  'rpc_client_message_duration_seconds',
  'websocket_message_duration_seconds',
  'http_client_request_duration_seconds',
  'nodejs_gc_duration_seconds',
];
const LIBRARY_METRICS = [
  'http_requests_total',
  'http_request_duration_seconds',
  'http_requests_in_progress',
  'http_request_size_bytes',
  'http_response_size_bytes',
  'http_exceptions_total',
  'database_operations_total',
  'database_operation_duration_seconds',
  'cache_operations_total',
  'background_tasks_total',
  'background_task_duration_seconds',
  'external_api_calls_total',
  'external_api_call_duration_seconds',
  'auth_events_total',
  'queue_size',
  'active_connections',
  'app_info',
  'graphql_operations_total',
  'graphql_operation_duration_seconds',
  'graphql_exceptions_total',
  'graphql_resolver_duration_seconds',
  'rpc_messages_total',
  'rpc_message_duration_seconds',
  'rpc_exceptions_total',
  'rpc_client_messages_total',
  'rpc_client_message_duration_seconds',
  'websocket_connections',
  'websocket_connections_total',
  'websocket_messages_total',
  'websocket_message_duration_seconds',
  'websocket_exceptions_total',
  'http_client_requests_total',
  'http_client_request_duration_seconds',
];
/** prom-client's collectDefaultMetrics(). */
const DEFAULT_METRICS = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds',
];
const KNOWN_METRICS = new Set([...LIBRARY_METRICS, ...DEFAULT_METRICS]);

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
  'atan2',
]);

/**
 * Metric names referenced by a PromQL expression, with histogram series
 * suffixes folded into their family. Deliberately a scanner, not a parser:
 * it only needs to be right for the queries a dashboard contains, and promtool
 * checks that those parse.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = stripped[m.index - 1] ?? '';
    const after = stripped.slice(m.index + m[0].length);
    if (/[0-9.]/.test(before)) continue; // exponent or unit of a number/duration
    if (/^\s*\(/.test(after)) continue; // function call
    if (PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue;
    const family = HISTOGRAMS.find(
      (h) => m[0] === `${h}_bucket` || m[0] === `${h}_sum` || m[0] === `${h}_count`,
    );
    names.add(family ?? m[0]);
  }
  return [...names];
}

const { json: dashboard, panels: allPanels, queryPanels, queries } = loadDashboard();
const allExprs = queries.map((query) => query.expr);

describe('metricNames', () => {
  it('finds metric names and ignores functions, labels, durations and keywords', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket{status_code=~"5.."}[5m] offset 1h)))' +
          ' / on (job) group_left (version) app_info * 1e3 or vector(0)',
      ).sort(),
    ).toEqual(['app_info', 'http_request_duration_seconds']);
  });
});

describe('deploy/grafana/dashboard.json', () => {
  it('is the instrumentator dashboard with a prometheus datasource variable', () => {
    expect(dashboard.uid).toBe('nestjs-instrumentator');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const variable = dashboard.templating.list.find(
      (v: { name: string }) => v.name === 'datasource',
    );
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
  });

  it('has unique panel ids', () => {
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('points every panel and target at ${datasource}', () => {
    const expected = { type: 'prometheus', uid: '${datasource}' };
    const offenders = allPanels.flatMap((panel) =>
      [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]
        .filter((ds) => JSON.stringify(ds) !== JSON.stringify(expected))
        .map((ds) => `${panel.title}: ${JSON.stringify(ds)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('gives every panel at least one target, each with an expr', () => {
    expect(queryPanels.filter((p) => !p.targets?.length).map((p) => p.title)).toEqual([]);
    const empty = queryPanels
      .filter((p) => (p.targets ?? []).some((t) => !t.expr?.trim()))
      .map((p) => p.title);
    expect(empty).toEqual([]);
  });

  it('uses $__rate_interval for every range, so windows follow the scrape interval', () => {
    const ranges = allExprs.flatMap((e) => [...e.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]));
    expect(ranges.length).toBeGreaterThan(0);
    expect(new Set(ranges)).toEqual(new Set(['$__rate_interval']));
  });

  it('queries only metrics the library exposes, and all of the library metrics', () => {
    const used = new Set(allExprs.flatMap(metricNames));
    expect([...used].filter((name) => !KNOWN_METRICS.has(name))).toEqual([]);
    const required = [
      ...LIBRARY_METRICS,
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ];
    expect(required.filter((name) => !used.has(name))).toEqual([]);
  });

  // GraphQL, RPC, WebSocket and outbound-call durations are recorded without exemplars.
  it('shows exemplars on every latency graph of an exemplar-carrying metric, and nowhere else', () => {
    const targets = queryPanels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        graph: `${panel.title}/${target.refId}`,
        latency:
          panel.type === 'timeseries' &&
          /_duration_seconds_bucket\b/.test(target.expr ?? '') &&
          !/\b(graphql|rpc|websocket|http_client)_/.test(target.expr ?? ''),
        exemplar: target.exemplar === true,
      })),
    );
    expect(targets.filter((t) => t.latency !== t.exemplar).map((t) => t.graph)).toEqual([]);
    expect(targets.filter((t) => t.exemplar).map((t) => t.graph)).toEqual([
      'Request duration p50 / p90 / p99 by endpoint/A',
      'Request duration p50 / p90 / p99 by endpoint/B',
      'Request duration p50 / p90 / p99 by endpoint/C',
      'Database latency p50 / p99/A',
      'Database latency p50 / p99/B',
      'Background task duration p90/A',
      'External API latency/A',
    ]);
  });
});

describeWithBinary(
  'promtool',
  PROMETHEUS_INSTALL_HINT,
  'deploy/prometheus with promtool',
  (promtool) => {
    let scratch: string;
    beforeAll(() => {
      scratch = mkdtempSync(join(tmpdir(), 'deploy-rules-'));
    });
    afterAll(() => {
      rmSync(scratch, { recursive: true, force: true });
    });

    it('check config accepts prometheus.yml and loads alerts.yml', () => {
      // From deploy/prometheus, as an operator would run it.
      const r = runBinary(promtool, ['check', 'config', 'prometheus.yml'], { cwd: PROM_DIR });
      expect(r.output).toContain('SUCCESS: 1 rule files found');
      expect(r.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
      expect(r.output).toContain(`SUCCESS: ${EXPECTED_RULES} rules found`);
      expect(r.output).not.toMatch(/WARNING|FAILED/);
      expect(r.status).toBe(0);
    });

    it(`check rules finds exactly ${EXPECTED_RULES} rules and no warnings`, () => {
      const r = runBinary(promtool, ['check', 'rules', 'deploy/prometheus/alerts.yml'], {
        cwd: ROOT,
      });
      expect(r.output).toContain(`SUCCESS: ${EXPECTED_RULES} rules found`);
      expect(r.output).not.toMatch(/WARNING|FAILED/);
      expect(r.status).toBe(0);
    });

    it('the rule unit tests pass', () => {
      const r = runBinary(promtool, ['test', 'rules', 'deploy/prometheus/alerts.test.yml'], {
        cwd: ROOT,
      });
      expect(r.output).toMatch(/^\s*SUCCESS\s*$/m);
      expect(r.output).not.toContain('FAILED');
      expect(r.status).toBe(0);
    });

    it('the unit tests cover every alert both firing and quiet', () => {
      const alerts = [
        ...readFileSync(join(PROM_DIR, 'alerts.yml'), 'utf8').matchAll(/^\s*- alert:\s*(\S+)/gm),
      ].map((m) => m[1]);
      const tests = readFileSync(join(PROM_DIR, 'alerts.test.yml'), 'utf8');
      const cases = [...tests.matchAll(/alertname:\s*(\S+)\s*\n\s*exp_alerts:(.*)/g)].map((m) => ({
        alert: m[1],
        quiet: m[2].trim() === '[]',
      }));
      expect(alerts.length).toBe(10);
      for (const alert of alerts) {
        expect({ alert, fires: cases.some((c) => c.alert === alert && !c.quiet) }).toEqual({
          alert,
          fires: true,
        });
        expect({ alert, quiet: cases.some((c) => c.alert === alert && c.quiet) }).toEqual({
          alert,
          quiet: true,
        });
      }
    });

    it('the commented bearer-token example is valid once uncommented', () => {
      // promtool insists the credentials file exists, so point it at a real one.
      const tokenFile = join(scratch, 'metrics-token');
      writeFileSync(tokenFile, 'not-a-real-token\n', { mode: 0o600 });
      const original = readFileSync(join(PROM_DIR, 'prometheus.yml'), 'utf8');
      const block = /^(\s*)# authorization:\n\1#   type: Bearer\n\1#   credentials_file: \S+$/m;
      expect(original).toMatch(block);
      const enabled = original.replace(block, (_m, indent: string) =>
        [
          `${indent}authorization:`,
          `${indent}  type: Bearer`,
          `${indent}  credentials_file: ${tokenFile}`,
        ].join('\n'),
      );
      writeFileSync(join(scratch, 'prometheus.yml'), enabled);
      copyFileSync(join(PROM_DIR, 'alerts.yml'), join(scratch, 'alerts.yml'));

      const r = runBinary(promtool, ['check', 'config', 'prometheus.yml'], { cwd: scratch });
      expect(r.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
      expect(r.status).toBe(0);
    });

    it('every dashboard query is valid PromQL', () => {
      // promtool has no offline query parser, but it parses rule expressions:
      // wrap each query in a recording rule, with Grafana's variable resolved.
      const rules = allExprs
        .map(
          (expr, i) =>
            `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(resolveGrafanaVariables(expr))}\n`,
        )
        .join('');
      const file = join(scratch, 'dashboard-queries.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}`);
      const r = runBinary(promtool, ['check', 'rules', file]);
      expect(r.output).toContain(`SUCCESS: ${allExprs.length} rules found`);
      expect(r.status).toBe(0);
    });
  },
);
