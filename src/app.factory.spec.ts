import { describe, expect, it } from '@jest/globals';
import { parseHttpAdapter } from './app.factory.js';

describe('parseHttpAdapter', () => {
  it('runs on Express when HTTP_ADAPTER is unset or empty', () => {
    expect(parseHttpAdapter(undefined)).toBe('express');
    expect(parseHttpAdapter('')).toBe('express');
    expect(parseHttpAdapter('  ')).toBe('express');
  });

  it('accepts each platform whatever its case and surrounding blanks', () => {
    expect(parseHttpAdapter('express')).toBe('express');
    expect(parseHttpAdapter('fastify')).toBe('fastify');
    expect(parseHttpAdapter(' Fastify ')).toBe('fastify');
  });

  it('stops on any other value and names the accepted ones', () => {
    expect(() => parseHttpAdapter('fastiffy')).toThrow(
      new Error('HTTP_ADAPTER must be one of express, fastify; got "fastiffy"'),
    );
    expect(() => parseHttpAdapter('koa')).toThrow(
      new Error('HTTP_ADAPTER must be one of express, fastify; got "koa"'),
    );
  });
});
