/**
 * The one place the library reaches into @nestjs/mercurius's internals, beside nest-graphql-internals.ts
 * for what all drivers share. Keep every other use of them out of the library, so that an upgrade that
 * moves one breaks this file and its spec, and nothing else. @nestjs/mercurius is imported lazily,
 * once the app is seen to use GraphQLModule.
 */
import type { NestInternalMethod } from '../nest-internal.js';
import type { DriverServer, GraphqlDriver } from './nest-graphql-internals.js';

/**
 * - `MercuriusDriver#mergeDefaultOptions(options)` is the driver's own override, still of one
 *   parameter, wrapped on the instance as for every driver (nest-graphql-internals.ts);
 * - `MercuriusDriver#start` registers mercurius on Nest's Fastify instance with the merged options, the
 *   `errorFormatter` among them, then adds each of the `hooks` option's hooks with
 *   `app.graphql.addHook`;
 * - `MercuriusDriver#instance` is that Fastify instance, from the start: it has mercurius' `graphql`
 *   decorator once the driver has started (too late to hand it options).
 */
export const NEST_MERCURIUS_INTERNALS = {
  mergeDefaultOptions: {
    module: '@nestjs/mercurius',
    className: 'MercuriusDriver',
    method: 'mergeDefaultOptions',
    arity: 1,
  } satisfies NestInternalMethod,
  start:
    "MercuriusDriver#start passes `errorFormatter` to mercurius and registers the `hooks` option's hooks",
  instance:
    "MercuriusDriver#instance, the Fastify instance, with mercurius' `graphql` decorator once started",
} as const;

/** Mercurius on Nest's Fastify instance: started once the instance has the `graphql` decorator. */
export const MERCURIUS_SERVER: DriverServer = {
  name: 'Mercurius',
  hasStarted: (driver) =>
    (driver.instance as { graphql?: unknown } | undefined)?.graphql !== undefined,
};

/** True when `driver` is @nestjs/mercurius' MercuriusDriver; false when that package is not there. */
export async function isMercuriusDriver(driver: GraphqlDriver): Promise<boolean> {
  try {
    const { MercuriusDriver } = await import('@nestjs/mercurius');
    return driver instanceof MercuriusDriver;
  } catch {
    return false;
  }
}
