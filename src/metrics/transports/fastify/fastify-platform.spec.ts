import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { FastifyPlatform } from './fastify-platform.js';

afterEach(() => {
  jest.restoreAllMocks();
});

describe('FastifyPlatform', () => {
  it('falls back to an ordinary hook, and says what it loses, when Fastify has moved its hook list', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // What a Fastify whose internals moved looks like to the library: only its public API.
    const added: string[] = [];
    const movedFastify = { addHook: (name: string) => void added.push(name) };
    const platform = new FastifyPlatform();

    platform.attach(movedFastify);
    platform.attach(movedFastify);

    expect(added).toEqual(['onRequest']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(
      /^Requests that a middleware answers are counted under <unmatched>: FastifyInternalMovedError: Fastify internal Symbol\('fastify\.hooks'\)/,
    );
  });
});
