/**
 * The one place the library reaches into @nestjs/graphql's internals (and the Nest module container's
 * it finds GraphQLModule in). Keep every other use of them out of the library, so that an upgrade that
 * moves one breaks this file and its spec, and nothing else. @nestjs/graphql is imported lazily, once
 * the app is seen to use GraphQLModule.
 */
import type { ModulesContainer } from '@nestjs/core';
import { NestInternalMovedError, type NestInternalMethod } from '../nest-internal.js';

/**
 * - GraphQLModule is found among the modules of Nest's `ModulesContainer` by its class name
 *   (`Module#metatype.name`), and its driver among that module's providers (`Module#providers`) under
 *   the `AbstractGraphQLDriver` token;
 * - `mergeDefaultOptions(options)` of the driver makes the options GraphQLModule starts the server with
 *   in its `onModuleInit`: wrapped on the driver instance, it adds the metrics plugin to them;
 * - the Apollo driver's `instance` is its Apollo server, set once started (too late to add a plugin).
 */
export const NEST_GRAPHQL_INTERNALS = {
  module:
    "Module#metatype.name === 'GraphQLModule' and Module#providers.get(AbstractGraphQLDriver)",
  mergeDefaultOptions: {
    module: '@nestjs/graphql',
    className: 'AbstractGraphQLDriver',
    method: 'mergeDefaultOptions',
    arity: 1,
  } satisfies NestInternalMethod,
  instance: 'ApolloBaseDriver#instance (@nestjs/apollo)',
} as const;

/** The options the driver hands to `new ApolloServer()`, as far as the library reads them. */
export interface GraphqlDriverOptions {
  plugins?: unknown[];
  resolvers?: unknown;
  transformResolvers?: (resolvers: object) => unknown;
  installSubscriptionHandlers?: boolean;
  subscriptions?: { [transport: string]: unknown };
}

/** A GraphQLModule driver, as far as the library reads it. */
export interface GraphqlDriver {
  mergeDefaultOptions(options: object, ...rest: unknown[]): Promise<GraphqlDriverOptions>;
  readonly instance?: unknown;
}

type NestModule = { metatype?: { name?: string }; providers: Map<unknown, { instance?: unknown }> };

/**
 * The app's GraphQLModule and its driver (`undefined` without a driver provider); `undefined` when the
 * app has no GraphQLModule, and then @nestjs/graphql is not even imported.
 */
export async function findGraphqlModule(
  modules: ModulesContainer | undefined,
): Promise<{ driver?: GraphqlDriver } | undefined> {
  for (const module of modules?.values() ?? []) {
    const candidate = module as unknown as NestModule;
    if (candidate.metatype?.name !== 'GraphQLModule') continue;
    const { AbstractGraphQLDriver } = await import('@nestjs/graphql');
    const driver = candidate.providers.get(AbstractGraphQLDriver)?.instance;
    return { driver: driver as GraphqlDriver | undefined };
  }
  return undefined;
}

/** How to tell that a driver has started its server: too late to hand it options. */
export interface DriverServer {
  /** Named in the error thrown when it has started. */
  readonly name: string;
  readonly hasStarted: (driver: GraphqlDriver) => boolean;
}

/** The Apollo driver's server, by its `instance`, set once started. */
export const APOLLO_SERVER: DriverServer = {
  name: 'the Apollo server',
  hasStarted: (driver) => driver.instance !== undefined,
};

/**
 * Passes the options `driver` will start its server with through `extend` first. The result of
 * `mergeDefaultOptions` is a copy: the app's own options object is untouched.
 * @throws Error when the server has already started, NestInternalMovedError when the driver has no
 * `mergeDefaultOptions`; nothing is wrapped then.
 */
export function extendMergedOptions(
  driver: GraphqlDriver,
  extend: (merged: GraphqlDriverOptions) => void,
  server: DriverServer = APOLLO_SERVER,
): void {
  if (server.hasStarted(driver)) {
    throw new Error(`${server.name} had already started, so its operations are not measured`);
  }
  const merge = driver.mergeDefaultOptions as unknown;
  if (typeof merge !== 'function') {
    const { className, method, module } = NEST_GRAPHQL_INTERNALS.mergeDefaultOptions;
    throw new NestInternalMovedError(
      `Nest internal ${className}#${method} (${module}) is no longer on ${driver.constructor.name}`,
    );
  }
  driver.mergeDefaultOptions = async function (this: GraphqlDriver, ...args) {
    const merged = (await merge.apply(this, args)) as GraphqlDriverOptions;
    extend(merged);
    return merged;
  };
}
