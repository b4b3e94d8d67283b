import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_ENABLE_ENV_VAR,
  DEFAULT_MAX_CLIENT_HOSTS,
  DEFAULT_MAX_SERIES_PER_METRIC,
  DEFAULT_PUSH_INTERVAL_MS,
  DEFAULT_PUSH_TIMEOUT_MS,
  DEFAULT_SIZE_BUCKETS,
  RESERVED_LABEL_NAMES,
} from '../metrics.constants.js';
import type {
  MetricsModuleOptions,
  ResolvedMetricsOptions,
} from '../interfaces/metrics-module-options.interface.js';
import { resolveHttpLabels } from '../request-labels/http-labels-option.js';
import { describeValue as describe, MetricsOptionsError } from './metrics-options-error.js';
import { dashboardPathOf } from '../dashboard/dashboard-path.js';

export { MetricsOptionsError };

const KNOWN_OPTIONS = new Set<keyof MetricsModuleOptions>([
  'path',
  'customPath',
  'dashboard',
  'enabled',
  'envVarName',
  'excludePaths',
  'groupStatusCodes',
  'inProgressLabels',
  'graphqlResolverDuration',
  'durationBuckets',
  'sizeBuckets',
  'prefix',
  'defaultLabels',
  'defaultMetrics',
  'appName',
  'appVersion',
  'auth',
  'maxSeriesPerMetric',
  'port',
  'host',
  'pushgateway',
  'httpClient',
  'httpLabels',
  'exemplars',
]);

const PUSHGATEWAY_OPTIONS = new Set([
  'url',
  'jobName',
  'groupingLabels',
  'intervalMs',
  'timeoutMs',
]);

const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);

/**
 * Validates user options and merges the defaults, once, at bootstrap. Nothing else in the library reads
 * raw options.
 * @throws MetricsOptionsError naming the first invalid option.
 */
export function resolveMetricsOptions(
  options: MetricsModuleOptions | undefined = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedMetricsOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new MetricsOptionsError('(options)', 'must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key as keyof MetricsModuleOptions)) {
      throw new MetricsOptionsError(key, 'is not a known option');
    }
  }

  const envVarName = optionalString(options, 'envVarName') ?? DEFAULT_ENABLE_ENV_VAR;
  const path = routePath(options, 'path', '/metrics');
  const customPath = routePath(options, 'customPath', '/metrics/custom');
  if (path === customPath) {
    throw new MetricsOptionsError('customPath', `must differ from "path" (both are "${path}")`);
  }
  const dashboardPath = optionalBoolean(options, 'dashboard', false)
    ? dashboardPathOf(customPath)
    : undefined;
  if (dashboardPath === path) {
    throw new MetricsOptionsError('path', `must differ from the dashboard's "${dashboardPath}"`);
  }
  const packageInfo = readWorkingDirectoryPackage();
  const appName = optionalString(options, 'appName') ?? packageInfo.name;
  const labels = defaultLabels(options.defaultLabels);

  return {
    path,
    customPath,
    dashboardPath,
    enabled: optionalBoolean(options, 'enabled', true) && enabledByEnvironment(envVarName, env),
    ...excludeRules(options.excludePaths),
    groupStatusCodes: optionalBoolean(options, 'groupStatusCodes', false),
    inProgressLabels: optionalBoolean(options, 'inProgressLabels', true),
    graphqlResolverDuration: optionalBoolean(options, 'graphqlResolverDuration', false),
    durationBuckets: buckets(options, 'durationBuckets', DEFAULT_DURATION_BUCKETS),
    sizeBuckets: buckets(options, 'sizeBuckets', DEFAULT_SIZE_BUCKETS),
    prefix: metricPrefix(options.prefix),
    defaultLabels: labels,
    defaultMetrics: defaultMetrics(options.defaultMetrics),
    appName,
    appVersion: optionalString(options, 'appVersion') ?? packageInfo.version,
    auth: auth(options.auth),
    maxSeriesPerMetric: positiveInteger(
      options.maxSeriesPerMetric,
      'maxSeriesPerMetric',
      DEFAULT_MAX_SERIES_PER_METRIC,
    ),
    listener: listener(options),
    pushgateway: pushgateway(options.pushgateway, appName),
    httpClient: httpClient(options.httpClient),
    httpLabels: resolveHttpLabels(options.httpLabels, Object.keys(labels)),
    exemplars: exemplars(options.exemplars),
  };
}

function optionalString(options: MetricsModuleOptions, key: keyof MetricsModuleOptions) {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new MetricsOptionsError(key, `must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function optionalBoolean(
  options: MetricsModuleOptions,
  key: keyof MetricsModuleOptions,
  fallback: boolean,
): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new MetricsOptionsError(key, `must be true or false, got ${describe(value)}`);
  }
  return value;
}

function routePath(options: MetricsModuleOptions, key: 'path' | 'customPath', fallback: string) {
  const value = optionalString(options, key) ?? fallback;
  if (!/^\/?[A-Za-z0-9._~\-/:]*$/.test(value) || value.includes('//')) {
    throw new MetricsOptionsError(
      key,
      `must be a plain route path like "${fallback}", got "${value}"`,
    );
  }
  const withSlash = value.startsWith('/') ? value : `/${value}`;
  return withSlash.length > 1 && withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

function enabledByEnvironment(envVarName: string, env: NodeJS.ProcessEnv): boolean {
  const raw = env[envVarName];
  if (raw === undefined || raw.trim() === '') return true;
  const word = raw.trim().toLowerCase();
  if (FALSE_WORDS.has(word)) return false;
  if (TRUE_WORDS.has(word)) return true;
  throw new MetricsOptionsError(
    'enabled',
    `is set by the environment variable ${envVarName}="${raw}", which is neither true/1/yes/on nor false/0/no/off`,
  );
}

function excludeRules(value: MetricsModuleOptions['excludePaths']) {
  const excludePaths = new Set<string>();
  const excludePatterns: RegExp[] = [];
  if (value === undefined) return { excludePaths, excludePatterns };
  if (!Array.isArray(value)) {
    throw new MetricsOptionsError('excludePaths', `must be an array, got ${describe(value)}`);
  }
  value.forEach((entry, index) => {
    if (entry instanceof RegExp) {
      // A global or sticky RegExp keeps state between test() calls and would match every other request.
      excludePatterns.push(new RegExp(entry.source, entry.flags.replace(/[gy]/g, '')));
    } else if (typeof entry === 'string' && entry.startsWith('/')) {
      excludePaths.add(entry);
    } else {
      throw new MetricsOptionsError(
        `excludePaths[${index}]`,
        `must be a path starting with "/" or a RegExp, got ${describe(entry)}`,
      );
    }
  });
  return { excludePaths, excludePatterns };
}

function buckets(
  options: MetricsModuleOptions,
  key: 'durationBuckets' | 'sizeBuckets',
  fallback: readonly number[],
): number[] {
  const value = options[key];
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.length === 0) {
    throw new MetricsOptionsError(
      key,
      `must be a non-empty array of numbers, got ${describe(value)}`,
    );
  }
  value.forEach((bound, index) => {
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= 0) {
      throw new MetricsOptionsError(
        key,
        `must hold finite numbers above 0; item ${index} is ${describe(bound)}`,
      );
    }
    if (index > 0 && bound <= value[index - 1]) {
      throw new MetricsOptionsError(
        key,
        `must be strictly increasing; item ${index} (${bound}) is not`,
      );
    }
  });
  return [...value];
}

function metricPrefix(value: unknown): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || !METRIC_PREFIX.test(value)) {
    throw new MetricsOptionsError(
      'prefix',
      `must start with a letter, "_" or ":" and hold only letters, digits, "_" and ":", got ${describe(value)}`,
    );
  }
  return value;
}

function defaultLabels(value: unknown, option = 'defaultLabels'): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MetricsOptionsError(option, `must be an object of strings, got ${describe(value)}`);
  }
  const labels: Record<string, string> = {};
  for (const [name, labelValue] of Object.entries(value)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new MetricsOptionsError(`${option}.${name}`, 'is not a valid Prometheus label name');
    }
    if (RESERVED_LABEL_NAMES.has(name)) {
      throw new MetricsOptionsError(
        `defaultLabels.${name}`,
        'is a label of the module\'s own metrics; pick another name (e.g. "app_' + name + '")',
      );
    }
    if (typeof labelValue !== 'string') {
      throw new MetricsOptionsError(
        `${option}.${name}`,
        `must be a string, got ${describe(labelValue)}`,
      );
    }
    labels[name] = labelValue;
  }
  return labels;
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MetricsOptionsError(
      option,
      `must be a whole number of at least 1, got ${describe(value)}`,
    );
  }
  return value;
}

function listener(options: MetricsModuleOptions): ResolvedMetricsOptions['listener'] {
  const { port, host } = options;
  if (port === undefined) {
    if (host !== undefined)
      throw new MetricsOptionsError('host', 'needs the "port" option as well');
    return undefined;
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MetricsOptionsError(
      'port',
      `must be a whole number from 0 to 65535, got ${describe(port)}`,
    );
  }
  return { port, host: optionalString(options, 'host') };
}

function pushgateway(value: unknown, appName: string): ResolvedMetricsOptions['pushgateway'] {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MetricsOptionsError(
      'pushgateway',
      `must be an object with a url, got ${describe(value)}`,
    );
  }
  const candidate = value as Record<string, unknown>;
  for (const key of Object.keys(candidate)) {
    if (!PUSHGATEWAY_OPTIONS.has(key)) {
      throw new MetricsOptionsError(`pushgateway.${key}`, 'is not a known option');
    }
  }
  const { url, jobName } = candidate;
  if (typeof url !== 'string' || !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(url)) {
    throw new MetricsOptionsError(
      'pushgateway.url',
      `must be an http(s):// URL, got ${describe(url)}`,
    );
  }
  if (jobName !== undefined && (typeof jobName !== 'string' || jobName.trim() === '')) {
    throw new MetricsOptionsError(
      'pushgateway.jobName',
      `must be a non-empty string, got ${describe(jobName)}`,
    );
  }
  const groupingLabels = defaultLabels(candidate.groupingLabels, 'pushgateway.groupingLabels');
  if ('job' in groupingLabels) {
    throw new MetricsOptionsError(
      'pushgateway.groupingLabels.job',
      'is set by "pushgateway.jobName" instead',
    );
  }
  return {
    url: url.replace(/\/+$/, ''),
    jobName: jobName ?? appName,
    groupingLabels,
    intervalMs: positiveInteger(
      candidate.intervalMs,
      'pushgateway.intervalMs',
      DEFAULT_PUSH_INTERVAL_MS,
    ),
    timeoutMs: positiveInteger(
      candidate.timeoutMs,
      'pushgateway.timeoutMs',
      DEFAULT_PUSH_TIMEOUT_MS,
    ),
  };
}

function httpClient(value: unknown): ResolvedMetricsOptions['httpClient'] {
  if (value === undefined || value === true) return { maxHosts: DEFAULT_MAX_CLIENT_HOSTS };
  if (value === false) return false;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MetricsOptionsError(
      'httpClient',
      `must be true, false or { maxHosts, allowedHosts }, got ${describe(value)}`,
    );
  }
  const candidate = value as Record<string, unknown>;
  for (const key of Object.keys(candidate)) {
    if (key !== 'maxHosts' && key !== 'allowedHosts') {
      throw new MetricsOptionsError(`httpClient.${key}`, 'is not a known option');
    }
  }
  const allowedHosts = allowlist(candidate.allowedHosts, 'httpClient.allowedHosts', (host) =>
    /^[^\s/?#@]+:\d{1,5}$/.test(host)
      ? undefined
      : 'must be "host:port", like "api.example.com:443"',
  );
  return {
    maxHosts: positiveInteger(candidate.maxHosts, 'httpClient.maxHosts', DEFAULT_MAX_CLIENT_HOSTS),
    // Host labels are lower-case, so the allowlist is too.
    allowedHosts: allowedHosts && new Set([...allowedHosts].map((host) => host.toLowerCase())),
  };
}

/**
 * The label values of an allowlist option. `check` returns a problem to report, or undefined for a good entry.
 */
function allowlist(
  value: unknown,
  option: string,
  check: (entry: string) => string | undefined,
): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new MetricsOptionsError(option, `must be an array of strings, got ${describe(value)}`);
  }
  const entries = new Set<string>();
  value.forEach((entry, index) => {
    const problem = typeof entry === 'string' ? check(entry) : 'must be a string';
    if (problem !== undefined) {
      throw new MetricsOptionsError(`${option}[${index}]`, `${problem}, got ${describe(entry)}`);
    }
    entries.add(entry as string);
  });
  return entries;
}

function exemplars(value: unknown): ResolvedMetricsOptions['exemplars'] {
  if (value === undefined) return 'auto';
  if (value === true || value === false || value === 'auto') return value;
  throw new MetricsOptionsError(
    'exemplars',
    `must be true, false or "auto", got ${describe(value)}`,
  );
}

function defaultMetrics(value: unknown): ResolvedMetricsOptions['defaultMetrics'] {
  if (value === undefined || value === true) return {};
  if (value === false) return false;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MetricsOptionsError(
      'defaultMetrics',
      `must be true, false or an object, got ${describe(value)}`,
    );
  }
  return value as ResolvedMetricsOptions['defaultMetrics'];
}

function auth(value: unknown): ResolvedMetricsOptions['auth'] {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') {
    throw new MetricsOptionsError(
      'auth',
      `must be { bearerToken } or { username, password }, got ${describe(value)}`,
    );
  }
  const candidate = value as Record<string, unknown>;
  const keys = Object.keys(candidate).sort().join(',');
  if (keys === 'bearerToken') {
    if (typeof candidate.bearerToken !== 'string' || candidate.bearerToken === '') {
      throw new MetricsOptionsError('auth.bearerToken', 'must be a non-empty string');
    }
    return { bearerToken: candidate.bearerToken };
  }
  if (keys === 'password,username') {
    const { username, password } = candidate;
    if (typeof username !== 'string' || username === '' || username.includes(':')) {
      throw new MetricsOptionsError('auth.username', 'must be a non-empty string without ":"');
    }
    if (typeof password !== 'string' || password === '') {
      throw new MetricsOptionsError('auth.password', 'must be a non-empty string');
    }
    return { username, password };
  }
  throw new MetricsOptionsError(
    'auth',
    `must be { bearerToken } or { username, password }, got keys [${keys}]`,
  );
}

function readWorkingDirectoryPackage(): { name: string; version: string } {
  try {
    const parsed = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return {
      name: typeof parsed.name === 'string' ? parsed.name : 'unknown',
      version: typeof parsed.version === 'string' ? parsed.version : 'unknown',
    };
  } catch {
    return { name: 'unknown', version: 'unknown' };
  }
}
