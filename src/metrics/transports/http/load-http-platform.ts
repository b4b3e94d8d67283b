import type { HttpPlatform } from './http-platform.interface.js';

/**
 * The instrumentation of the platform Nest reports (`httpAdapter.getType()`), imported only when that
 * platform is in use, so an app never loads the other platform's part; `undefined` for a platform the
 * library does not know.
 */
export async function loadHttpPlatform(
  type: string | undefined,
): Promise<HttpPlatform | undefined> {
  switch (type) {
    case 'express':
      return new (await import('../express/express-platform.js')).ExpressPlatform();
    case 'fastify':
      return new (await import('../fastify/fastify-platform.js')).FastifyPlatform();
    default:
      return undefined;
  }
}
