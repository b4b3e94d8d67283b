import { describe, expect, it } from '@jest/globals';
import { Counter, Gauge, Registry, type OpenMetricsContentType } from 'prom-client';
import {
  acceptsGzip,
  OPENMETRICS_CONTENT_TYPE,
  prefersOpenMetrics,
  renderExposition,
} from './exposition.js';

describe('content negotiation', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['text/plain', false],
    ['*/*', false],
    ['application/openmetrics-text', true],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', true],
    [
      'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1',
      true,
    ],
    ['text/plain;q=1,application/openmetrics-text;q=0.5', false],
    ['application/openmetrics-text;q=0', false],
    ['APPLICATION/OPENMETRICS-TEXT', true],
    [`${'x'.repeat(20000)},application/openmetrics-text`, false],
  ])('Accept %j prefers OpenMetrics: %s', (accept, expected) => {
    expect(prefersOpenMetrics(accept)).toBe(expected);
  });

  it.each([
    [undefined, false],
    ['identity', false],
    ['gzip', true],
    ['deflate, gzip;q=0.5', true],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['x-gzip', true],
    ['br, GZIP', true],
    ['gzip;q=nonsense', false],
  ])('Accept-Encoding %j allows gzip: %s', (acceptEncoding, expected) => {
    expect(acceptsGzip(acceptEncoding)).toBe(expected);
  });
});

describe('OpenMetrics family names', () => {
  async function render(accept: string) {
    const registry = new Registry<OpenMetricsContentType>();
    // Only so that the counter may take exemplars; the exposition picks the format from `accept`.
    registry.setContentType(OPENMETRICS_CONTENT_TYPE);
    const gauge = new Gauge({ name: 'chat_connections', help: 'open now', registers: [registry] });
    const clashing = new Counter({
      name: 'chat_connections_total',
      help: 'ever opened',
      registers: [registry],
      enableExemplars: true,
    });
    const plain = new Counter({ name: 'chat_messages_total', help: 'sent', registers: [registry] });
    gauge.set(2);
    clashing.inc({ value: 3, exemplarLabels: { trace_id: 'abc' } });
    plain.inc(4);
    return (await renderExposition([registry], accept, undefined, {})).text;
  }

  it('writes a counter whose family would share a gauge name untyped, under its own name', async () => {
    const text = await render(OPENMETRICS_CONTENT_TYPE);
    expect(text.replace(/ # \{.*$/gm, '')).toBe(
      [
        '# HELP chat_connections open now',
        '# TYPE chat_connections gauge',
        'chat_connections 2',
        '# HELP chat_connections_total ever opened',
        '# TYPE chat_connections_total unknown',
        'chat_connections_total 3',
        '# HELP chat_messages sent',
        '# TYPE chat_messages counter',
        'chat_messages_total 4',
        '# EOF',
        '',
      ].join('\n'),
    );
    // Exemplars belong to counters and buckets only.
    expect(text).not.toContain('trace_id');
  });

  it('leaves the text format as registered', async () => {
    const text = await render('text/plain');
    expect(text).toContain('# TYPE chat_connections_total counter\nchat_connections_total 3\n');
    expect(text).toContain('# TYPE chat_connections gauge\nchat_connections 2\n');
    expect(text).toContain('# TYPE chat_messages_total counter\nchat_messages_total 4\n');
  });
});
