import { describe, expect, it } from '@jest/globals';
import { parseTracingFlag } from './start-tracing.js';

describe('parseTracingFlag', () => {
  it('leaves tracing off when OTEL_TRACING is unset, empty or false', () => {
    expect(parseTracingFlag(undefined)).toBe(false);
    expect(parseTracingFlag('')).toBe(false);
    expect(parseTracingFlag(' ')).toBe(false);
    expect(parseTracingFlag('false')).toBe(false);
    expect(parseTracingFlag('FALSE')).toBe(false);
  });

  it('turns tracing on for true, whatever its case and surrounding blanks', () => {
    expect(parseTracingFlag('true')).toBe(true);
    expect(parseTracingFlag(' True ')).toBe(true);
  });

  it('stops on any other value and names the accepted ones', () => {
    expect(() => parseTracingFlag('yes')).toThrow(
      new Error('OTEL_TRACING must be true or false; got "yes"'),
    );
    expect(() => parseTracingFlag('1')).toThrow(
      new Error('OTEL_TRACING must be true or false; got "1"'),
    );
  });
});
