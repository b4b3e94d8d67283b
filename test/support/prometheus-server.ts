/**
 * A real Prometheus server for e2e suites: its own temporary config and storage, a free loopback
 * port, and a small client for the HTTP API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, waitUntilServing, type ChildProcessHandle } from './child-process.js';
import { freePort, LOOPBACK } from './loopback.js';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  /** Sent as `Authorization: Bearer …`, from a credentials file as deploy/prometheus/prometheus.yml does. */
  bearerToken?: string;
}

export interface PrometheusOptions {
  targets: readonly ScrapeTarget[];
  /** Absolute paths of rule files to load. */
  ruleFiles?: readonly string[];
  /** Passed as `--enable-feature=…`, e.g. `exemplar-storage`. */
  features?: readonly string[];
}

export interface TargetState {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** One element of an instant vector, or the single value of a scalar result. */
export interface QuerySample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  readonly url: string;
  readonly process: ChildProcessHandle;
  /**
   * GET /api/v1/<path>; resolves to the response's `data`.
   * @throws Error with Prometheus' own message when the status is not `success`.
   */
  api<T>(path: string, params?: Record<string, string | readonly string[]>): Promise<T>;
  /** Evaluates `expr` at the current time. @throws Error when Prometheus rejects the query. */
  query(expr: string): Promise<QuerySample[]>;
  /** The scrape targets as /api/v1/targets reports them. */
  targets(): Promise<TargetState[]>;
  /** One line per target, `job instance: health lastError`, for error messages. */
  describeTargets(): Promise<string>;
  /** Stops the server by pid and removes its config and storage. */
  stop(): Promise<void>;
}

/**
 * Everything is scraped and every rule evaluated each second, so a test sees its traffic in Prometheus
 * within a couple of seconds and has enough samples for `rate()` soon after.
 */
const INTERVAL = '1s';

/**
 * Starts `prometheus` and waits until /-/ready answers.
 *
 * @throws Error with the server's output when it exits or is not ready in time; it is stopped and
 *   its files are removed first.
 */
export async function startPrometheus(
  binary: string,
  options: PrometheusOptions,
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-e2e-'));
  let child: ChildProcessHandle | undefined;
  const stop = async () => {
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, JSON.stringify(configFor(options, dir), null, 2));
    const port = await freePort();
    const url = `http://${LOOPBACK}:${port}`;
    child = await startChild('prometheus', binary, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
      ...(options.features ?? []).map((feature) => `--enable-feature=${feature}`),
    ]);
    await waitUntilServing(child, `${url}/-/ready`);
    return { ...prometheusClient(url), url, process: child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The parts of {@link PrometheusServer} that only talk to its HTTP API. */
export function prometheusClient(
  url: string,
): Pick<PrometheusServer, 'api' | 'query' | 'targets' | 'describeTargets'> {
  const api = async <T>(
    path: string,
    params: Record<string, string | readonly string[]> = {},
  ): Promise<T> => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      for (const item of typeof value === 'string' ? [value] : value) search.append(key, item);
    }
    const response = await fetch(`${url}/api/v1/${path}?${search}`);
    const body = (await response.json()) as {
      status: string;
      data: T;
      errorType?: string;
      error?: string;
    };
    if (body.status !== 'success') {
      throw new Error(
        `Prometheus rejected ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`,
      );
    }
    return body.data;
  };
  const targets = async () =>
    (await api<{ activeTargets: TargetState[] }>('targets', { state: 'active' })).activeTargets;
  return {
    api,
    targets,
    async query(expr) {
      const data = await api<QueryData>('query', { query: expr });
      if (data.resultType === 'vector') {
        return data.result.map((element) => ({
          labels: element.metric,
          value: parseSampleValue(element.value[1]),
        }));
      }
      if (data.resultType === 'scalar') {
        return [{ labels: {}, value: parseSampleValue(data.result[1]) }];
      }
      throw new Error(`Unexpected ${data.resultType} result for ${expr}`);
    },
    async describeTargets() {
      const states = await targets().catch((error: Error) => error);
      if (states instanceof Error) return `(targets unavailable: ${states.message})`;
      return states
        .map((t) => `${t.labels.job} ${t.labels.instance}: ${t.health} ${t.lastError}`)
        .join('\n');
    },
  };
}

type QueryData =
  | {
      resultType: 'vector';
      result: Array<{ metric: Record<string, string>; value: [number, string] }>;
    }
  | { resultType: 'scalar'; result: [number, string] }
  | { resultType: 'matrix' | 'string'; result: unknown };

/** The API writes values as strings, with Go's spelling of the special ones. */
export function parseSampleValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Written as JSON, which YAML parsers read as it is: no YAML quoting rules to get wrong. */
function configFor(options: PrometheusOptions, dir: string) {
  return {
    global: { scrape_interval: INTERVAL, scrape_timeout: INTERVAL, evaluation_interval: INTERVAL },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: options.targets.map((target) => {
      const job: Record<string, unknown> = {
        job_name: target.job,
        static_configs: [{ targets: [target.address] }],
      };
      if (target.bearerToken !== undefined) {
        const tokenFile = join(dir, `${target.job}.token`);
        writeFileSync(tokenFile, target.bearerToken, { mode: 0o600 });
        job.authorization = { type: 'Bearer', credentials_file: tokenFile };
      }
      return job;
    }),
  };
}
