import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  Registry,
  type Metric,
  type MetricObjectWithValues,
  type MetricValue,
  type RegistryContentType,
} from 'prom-client';

const gzipAsync = promisify(gzip);

export const PROMETHEUS_TEXT_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

export interface Exposition {
  contentType: string;
  body: string | Buffer;
  /** The text before compression, for callers that want to inspect it. */
  text: string;
  gzipped: boolean;
}

/**
 * Renders the given registries as one exposition, in the format the scraper asked for.
 *
 * prom-client renames a counter in place (dropping `_total`) when its registry renders OpenMetrics, so
 * a later text-format scrape would name it without `_total`. Counters are therefore rendered through
 * a stand-in that carries the OpenMetrics name, and the metric objects are never touched: one scrape
 * cannot change the next. Earlier registries win when two hold a metric of the same name.
 */
export async function renderExposition(
  registries: readonly Registry<RegistryContentType>[],
  accept: string | undefined,
  acceptEncoding: string | undefined,
  defaultLabels: Readonly<Record<string, string>>,
): Promise<Exposition> {
  const openMetrics = prefersOpenMetrics(accept);
  const view = new Registry<RegistryContentType>();
  view.setContentType(openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_TEXT_CONTENT_TYPE);
  if (Object.keys(defaultLabels).length > 0) view.setDefaultLabels({ ...defaultLabels });
  const metrics = new Map<string, RenderableMetric>();
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray() as unknown as RenderableMetric[]) {
      if (!metrics.has(metric.name)) metrics.set(metric.name, metric);
    }
  }
  for (const metric of metrics.values()) {
    const rendered = openMetrics ? openMetricsView(metric, metrics) : metric;
    view.registerMetric(rendered as unknown as Metric);
  }
  const text = await view.metrics();
  if (!acceptsGzip(acceptEncoding)) {
    return { contentType: view.contentType, body: text, text, gzipped: false };
  }
  return { contentType: view.contentType, body: await gzipAsync(text), text, gzipped: true };
}

/** What the registry needs of a metric to render it; prom-client's typings do not expose it. */
interface RenderableMetric {
  name: string;
  help: string;
  type: string;
  get(): Promise<MetricObjectWithValues<MetricValue<string>>>;
}

/**
 * How a metric appears in OpenMetrics, where a counter `x_total` is the family `x`. A counter whose
 * family name or `_total` sample would be another metric's name (the gauge `websocket_connections`
 * beside the counter `websocket_connections_total`) cannot be a counter family there: two families of
 * one name are forbidden. It is written as an untyped family under its own name, with the same
 * samples and help, so that both metrics keep the names they have in the text format.
 */
function openMetricsView(
  metric: RenderableMetric,
  byName: ReadonlyMap<string, RenderableMetric>,
): RenderableMetric {
  if (metric.type !== 'counter') return metric;
  const familyName = metric.name.replace(/_total$/, '');
  const sampleName = `${familyName}_total`;
  const clashes =
    (familyName !== metric.name && byName.has(familyName)) ||
    (sampleName !== metric.name && byName.has(sampleName));
  if (clashes) return untypedView(metric);
  return {
    name: familyName,
    help: metric.help,
    type: metric.type,
    get: async () => ({ ...(await metric.get()), name: familyName }),
  };
}

/** OpenMetrics allows exemplars on counters and histogram buckets only, so an untyped family has none. */
function untypedView(metric: RenderableMetric): RenderableMetric {
  return {
    name: metric.name,
    help: metric.help,
    type: UNTYPED,
    get: async () => {
      const family = await metric.get();
      const values = family.values.map((value) => ({ ...value, exemplar: undefined }));
      return { ...family, type: UNTYPED, values } as unknown as typeof family;
    },
  };
}

const UNTYPED = 'unknown';

/**
 * True when the Accept header ranks OpenMetrics at least as high as the classic text format, as a
 * Prometheus server's does.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let openMetrics = 0;
  let text = 0;
  for (const range of accept.slice(0, 4096).split(',')) {
    const [mediaType, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const quality = qualityOf(params);
    if (mediaType === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, quality);
    else if (mediaType === 'text/plain' || mediaType === '*/*' || mediaType === 'text/*') {
      text = Math.max(text, quality);
    }
  }
  return openMetrics > 0 && openMetrics >= text;
}

export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  for (const coding of acceptEncoding.slice(0, 4096).split(',')) {
    const [name, ...params] = coding.split(';').map((part) => part.trim().toLowerCase());
    if ((name === 'gzip' || name === 'x-gzip') && qualityOf(params) > 0) return true;
  }
  return false;
}

function qualityOf(params: string[]): number {
  for (const param of params) {
    if (param.startsWith('q=')) {
      const quality = Number(param.slice(2));
      return Number.isFinite(quality) ? Math.min(Math.max(quality, 0), 1) : 0;
    }
  }
  return 1;
}

/**
 * Answers a scrape with a rendered exposition. The app's route and the listeners outside the app
 * (separate port, cluster primary) all answer through this, so their headers cannot drift apart.
 */
export function writeExposition(
  request: IncomingMessage,
  response: ServerResponse,
  exposition: Exposition,
): void {
  response.statusCode = 200;
  response.setHeader('Content-Type', exposition.contentType);
  response.setHeader('Vary', 'Accept, Accept-Encoding');
  response.setHeader('Cache-Control', 'no-store');
  if (exposition.gzipped) response.setHeader('Content-Encoding', 'gzip');
  response.end(request.method === 'HEAD' ? undefined : exposition.body);
}
