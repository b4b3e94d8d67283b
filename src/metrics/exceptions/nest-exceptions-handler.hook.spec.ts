/**
 * Fails, naming the internal, when a Nest upgrade moves what the library hooks. When it does, find
 * where Nest now hands exceptions to filters and change nest-exceptions-handler.hook.ts alone.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Catch,
  Controller,
  Get,
  Module,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { ServerResponse } from 'node:http';
import 'reflect-metadata';
import { listenAppOnLoopback } from '../../../test/support/loopback.js';
import { nodeResponseOf } from '../transports/http/request-state.js';
import {
  NEST_EXCEPTIONS_HANDLER,
  listenToExceptionsHandedToFilters,
  locateExceptionsHandler,
} from './nest-exceptions-handler.hook.js';

class Unexpected extends Error {}

@Controller()
class ThrowingController {
  @Get('boom')
  boom(): never {
    throw new Unexpected('boom');
  }
}

@Catch()
class TeapotFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(_exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    this.adapterHost.httpAdapter.reply(response, { teapot: true }, 418);
  }
}

@Module({
  controllers: [ThrowingController],
  providers: [{ provide: APP_FILTER, useClass: TeapotFilter }],
})
class ThrowingModule {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Starts the app on `platform` and returns its base URL. */
async function startThrowingApp(platform: 'express' | 'fastify'): Promise<string> {
  const moduleRef = await Test.createTestingModule({ imports: [ThrowingModule] }).compile();
  app =
    platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  return listenAppOnLoopback(app);
}

const internal = `${NEST_EXCEPTIONS_HANDLER.member} (${NEST_EXCEPTIONS_HANDLER.module})`;

describe(`the Nest internal the library hooks: ${internal}`, () => {
  it('is still there', async () => {
    // On failure the rejection's message names the internal that moved.
    await expect(locateExceptionsHandler()).resolves.toHaveProperty('next');
  });

  it.each(['express', 'fastify'] as const)(
    'still receives each exception of a route on %s before the app-wide filter answers it',
    async (platform) => {
      const seen: Array<{ exception: unknown; type: string; response: unknown }> = [];
      await listenToExceptionsHandedToFilters((exception, host) =>
        seen.push({ exception, type: host.getType(), response: host.getArgByIndex(1) }),
      );
      const response = await fetch(`${await startThrowingApp(platform)}/boom`);

      expect(response.status).toBe(418);
      expect(await response.json()).toEqual({ teapot: true });
      expect(seen).toHaveLength(1);
      expect(seen[0].exception).toBeInstanceOf(Unexpected);
      expect(seen[0].type).toBe('http');
      // Express's res or a Fastify reply: either way the Node response behind it is found.
      expect(nodeResponseOf(seen[0].response)).toBeInstanceOf(ServerResponse);
    },
  );

  it('wraps it once, and a throwing listener changes nothing Nest answers', async () => {
    let calls = 0;
    const counting = () => void calls++;
    await listenToExceptionsHandedToFilters(counting);
    await listenToExceptionsHandedToFilters(counting);
    await listenToExceptionsHandedToFilters(() => {
      throw new Error('a broken listener');
    });
    const prototype = await locateExceptionsHandler();
    const wrapped = prototype.next;
    await listenToExceptionsHandedToFilters(() => undefined);
    expect(prototype.next).toBe(wrapped);

    const response = await fetch(`${await startThrowingApp('express')}/boom`);
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ teapot: true });
    expect(calls).toBe(1);
  });
});
