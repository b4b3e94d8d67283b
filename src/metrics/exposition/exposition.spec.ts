import { describe, expect, it } from '@jest/globals';
import { acceptsGzip, prefersOpenMetrics } from './exposition.js';

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
