/**
 * An outbound recorder on metrics of its own registry, outside any Nest app: for tests of the
 * recorder itself, in Jest or in a separate process.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { InstrumentationErrors } from '../../src/metrics/recording/instrumentation-errors.js';
import {
  HttpClientRecorder,
  type HttpClientRecorderOptions,
} from '../../src/metrics/transports/http-client/index.js';

/** Metric names: `calls_total`, `call_seconds` and `call_errors_total`. */
export function createOutboundRecorder(
  options: HttpClientRecorderOptions = { maxHosts: 10, groupStatusCodes: false },
): { recorder: HttpClientRecorder; registry: Registry } {
  const registry = new Registry();
  const recorder = new HttpClientRecorder(
    {
      requestsTotal: new Counter({
        name: 'calls_total',
        help: 'calls',
        labelNames: ['method', 'host', 'status_code'],
        registers: [registry],
      }),
      requestDuration: new Histogram({
        name: 'call_seconds',
        help: 'call duration',
        labelNames: ['method', 'host'],
        registers: [registry],
      }),
      errorsTotal: new Counter({
        name: 'call_errors_total',
        help: 'failed calls',
        labelNames: ['method', 'host', 'error_type'],
        registers: [registry],
      }),
    },
    options,
    new InstrumentationErrors(),
  );
  return { recorder, registry };
}
