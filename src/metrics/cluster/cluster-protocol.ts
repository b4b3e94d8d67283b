import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** IPC messages between the cluster primary and the MetricsService of each worker. */
export const SCRAPE_REQUEST = 'nestjs-instrumentator:scrape';
export const SCRAPE_REPLY = 'nestjs-instrumentator:scrape-reply';

/**
 * Set in the environment of the workers `bootstrapCluster` forks: their metrics are served by the
 * primary, so the app's own port must not answer a scrape with one random worker's figures.
 */
export const CLUSTER_WORKER_ENV = 'NESTJS_INSTRUMENTATOR_CLUSTER_WORKER';

export function isAggregatedClusterWorker(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[CLUSTER_WORKER_ENV] === '1';
}

export interface ScrapeRequest {
  type: typeof SCRAPE_REQUEST;
  id: number;
}

export type MetricSnapshot = MetricObjectWithValues<MetricValue<string>> & { aggregator?: string };

export interface ScrapeReply {
  type: typeof SCRAPE_REPLY;
  id: number;
  /** The worker's registries as `getMetricsAsJSON()` gives them, the module's first. */
  metrics: MetricSnapshot[];
  /** The worker's options the primary needs to render what the worker would have. */
  prefix: string;
  defaultLabels: Record<string, string>;
}

export function isScrapeRequest(message: unknown): message is ScrapeRequest {
  return (message as ScrapeRequest | null)?.type === SCRAPE_REQUEST;
}

export function isScrapeReply(message: unknown): message is ScrapeReply {
  return (message as ScrapeReply | null)?.type === SCRAPE_REPLY;
}
