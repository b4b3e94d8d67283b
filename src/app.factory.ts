import { ValidationPipe, type INestApplication, type NestApplicationOptions } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/** The HTTP platforms the demo runs on, chosen with `HTTP_ADAPTER`. */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/**
 * Reads `HTTP_ADAPTER`: empty or unset means Express, Nest's own default.
 *
 * @throws Error naming the accepted values when `raw` is none of them, so a typo stops the start
 *   instead of silently running on Express.
 */
export function parseHttpAdapter(raw: string | undefined): HttpAdapterName {
  const name = (raw ?? '').trim().toLowerCase();
  if (name === '') {
    return 'express';
  }
  if (!(HTTP_ADAPTERS as readonly string[]).includes(name)) {
    throw new Error(`HTTP_ADAPTER must be one of ${HTTP_ADAPTERS.join(', ')}; got "${raw}"`);
  }
  return name as HttpAdapterName;
}

/**
 * Builds the demo app with everything a request depends on (validation and so on) but does not
 * listen, so main.ts and the e2e tests run the very same configuration.
 *
 * @param adapter the HTTP platform; by default `HTTP_ADAPTER` from the environment or `.env`.
 * @throws Error when `HTTP_ADAPTER` names no known platform.
 */
export async function createApp(
  options: NestApplicationOptions = {},
  adapter?: HttpAdapterName,
): Promise<INestApplication> {
  // AppModule's ConfigModule.forRoot() copies .env into process.env; wait for it so that
  // HTTP_ADAPTER may live in .env like every other setting.
  await ConfigModule.envVariablesLoaded;
  const platform = adapter ?? parseHttpAdapter(process.env.HTTP_ADAPTER);
  const app =
    platform === 'fastify'
      ? // Loaded only when chosen: an Express run never loads Fastify.
        await NestFactory.create(
          AppModule,
          new (await import('@nestjs/platform-fastify')).FastifyAdapter(),
          options,
        )
      : await NestFactory.create(AppModule, options);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  return app;
}
