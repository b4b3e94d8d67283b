import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import type { InstrumentationErrors } from '../recording/instrumentation-errors.js';
import {
  isScrapeRequest,
  SCRAPE_REPLY,
  type MetricSnapshot,
  type ScrapeReply,
} from './cluster-protocol.js';

/**
 * In a cluster worker, answers the primary's scrape requests with this worker's registries, so the
 * primary can aggregate the module's own registry and not only prom-client's global one. Returns the
 * function that stops answering; does nothing outside a cluster worker.
 */
export function answerClusterScrapes(
  registries: readonly Registry[],
  renderOptions: Pick<ScrapeReply, 'prefix' | 'defaultLabels'>,
  errors: InstrumentationErrors,
): () => void {
  if (!cluster.isWorker || typeof process.send !== 'function') return () => undefined;
  const onMessage = (message: unknown) => {
    if (!isScrapeRequest(message)) return;
    snapshot(registries)
      .then((metrics) => {
        const reply: ScrapeReply = {
          type: SCRAPE_REPLY,
          id: message.id,
          metrics,
          ...renderOptions,
        };
        process.send?.(reply);
      })
      .catch((error: unknown) => errors.report('the cluster scrape', error));
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** Earlier registries win when two hold a metric of the same name, as in the app's own exposition. */
async function snapshot(registries: readonly Registry[]): Promise<MetricSnapshot[]> {
  const seen = new Set<string>();
  const metrics: MetricSnapshot[] = [];
  for (const registry of registries) {
    for (const metric of (await registry.getMetricsAsJSON()) as MetricSnapshot[]) {
      if (seen.has(metric.name)) continue;
      seen.add(metric.name);
      metrics.push(metric);
    }
  }
  return metrics;
}
