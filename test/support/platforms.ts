/**
 * Creates Nest apps on either HTTP platform, so one suite states the HTTP behaviour once and runs it on
 * both: `describe.each(PLATFORMS)('... on %s', (platform) => ...)`.
 */
import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';

export type Platform = 'express' | 'fastify';

export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

/** A Nest app on the platform, as a user would create it (`new FastifyAdapter()`, nothing else). */
export async function createPlatformApp(
  moduleRef: TestingModule,
  platform: Platform,
  options: NestApplicationOptions = {},
): Promise<INestApplication> {
  if (platform === 'express') return moduleRef.createNestApplication(options);
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return moduleRef.createNestApplication(new FastifyAdapter(), options);
}

/**
 * `app.init()`, then Fastify's own `ready()`: Fastify only routes once it is ready, which `listen()`
 * does for a real app but a test that hands `getHttpServer()` to supertest must do itself.
 */
export async function initPlatformApp(app: INestApplication): Promise<INestApplication> {
  await app.init();
  const instance = app.getHttpAdapter().getInstance() as { ready?: () => PromiseLike<unknown> };
  if (app.getHttpAdapter().getType() === 'fastify') await instance.ready?.();
  return app;
}
