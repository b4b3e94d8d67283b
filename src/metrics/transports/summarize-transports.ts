import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type {
  RpcSummary,
  TransportTraffic,
  WebSocketSummary,
} from '../interfaces/metrics-summary.interface.js';
import { TRANSPORT_METRIC_NAMES } from './transport-metrics.js';

type Sample = MetricValue<string>;

/**
 * The `/metrics/custom` sections of the transports an app uses, from the same registry snapshot as
 * the rest of the summary. A transport whose metrics were never registered has no section.
 */
export function summarizeTransports(
  snapshot: readonly MetricObjectWithValues<Sample>[],
  prefix: string,
): { rpc?: RpcSummary; websockets?: WebSocketSummary } {
  const byName = new Map(snapshot.map((metric) => [metric.name, metric.values]));
  const samples = (key: keyof typeof TRANSPORT_METRIC_NAMES) =>
    byName.get(`${prefix}${TRANSPORT_METRIC_NAMES[key]}`);
  const sections: { rpc?: RpcSummary; websockets?: WebSocketSummary } = {};

  const served = samples('rpcMessagesTotal');
  const sent = samples('rpcClientMessagesTotal');
  if (served || sent) {
    const rpcLabels = ['transport', 'pattern', 'kind'];
    sections.rpc = {
      server: traffic(served ?? [], rpcLabels),
      client: traffic(sent ?? [], rpcLabels),
    };
  }
  const messages = samples('websocketMessagesTotal');
  const connections = samples('websocketConnections');
  if (messages || connections) {
    sections.websockets = {
      connections_open: total(connections ?? []),
      connections_total: total(samples('websocketConnectionsTotal') ?? []),
      ...traffic(messages ?? [], ['gateway', 'event']),
    };
  }
  return sections;
}

/** Totals and per-label-set counts of a `…_total{…, status}` counter. */
function traffic(values: readonly Sample[], labelNames: readonly string[]): TransportTraffic {
  const groups = new Map<string, Record<string, string | number>>();
  for (const sample of values) {
    const key = labelNames.map((name) => String(sample.labels[name])).join('\u0000');
    let entry = groups.get(key);
    if (!entry) {
      entry = Object.fromEntries(labelNames.map((name) => [name, String(sample.labels[name])]));
      entry.count = 0;
      entry.errors = 0;
      groups.set(key, entry);
    }
    (entry.count as number) += sample.value;
    if (sample.labels.status === 'error') (entry.errors as number) += sample.value;
  }
  return {
    messages_total: total(values),
    errors_total: total(values.filter((sample) => sample.labels.status === 'error')),
    by_handler: [...groups.values()],
  };
}

function total(values: readonly Sample[]): number {
  return values.reduce((sum, sample) => sum + sample.value, 0);
}
