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
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ServerResponse } from 'node:http';
import 'reflect-metadata';
import request from 'supertest';
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
  catch(_exception: unknown, host: ArgumentsHost): void {
    host.switchToHttp().getResponse().status(418).json({ teapot: true });
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

async function bootThrowingApp(): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [ThrowingModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

const internal = `${NEST_EXCEPTIONS_HANDLER.member} (${NEST_EXCEPTIONS_HANDLER.module})`;

describe(`the Nest internal the library hooks: ${internal}`, () => {
  it('is still there', async () => {
    // On failure the rejection's message names the internal that moved.
    await expect(locateExceptionsHandler()).resolves.toHaveProperty('next');
  });

  it('still receives each exception of a route before the app-wide filter answers it', async () => {
    const seen: Array<{ exception: unknown; type: string; response: unknown }> = [];
    await listenToExceptionsHandedToFilters((exception, host) =>
      seen.push({ exception, type: host.getType(), response: host.getArgByIndex(1) }),
    );
    const server = (await bootThrowingApp()).getHttpServer();
    const response = await request(server).get('/boom').expect(418);

    expect(response.body).toEqual({ teapot: true });
    expect(seen).toHaveLength(1);
    expect(seen[0].exception).toBeInstanceOf(Unexpected);
    expect(seen[0].type).toBe('http');
    expect(seen[0].response).toBeInstanceOf(ServerResponse);
  });

  it('wraps it once, and a throwing listener changes nothing Nest answers', async () => {
    let calls = 0;
    const counting = () => void calls++;
    await listenToExceptionsHandedToFilters(counting);
    await listenToExceptionsHandedToFilters(counting);
    await listenToExceptionsHandedToFilters(() => {
      throw new Error('a broken listener');
    });
    const prototype = await locateExceptionsHandler();
    await listenToExceptionsHandedToFilters(counting);
    expect((await locateExceptionsHandler()).next).toBe(prototype.next);

    const server = (await bootThrowingApp()).getHttpServer();
    const response = await request(server).get('/boom').expect(418);
    expect(response.body).toEqual({ teapot: true });
    expect(calls).toBe(1);
  });
});
