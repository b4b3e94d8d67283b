/**
 * Finds @nestjs/graphql's driver at bootstrap, Apollo's or Mercurius', and measures its operations.
 * @nestjs/graphql, @nestjs/apollo and @nestjs/mercurius are optional peers: they are imported only once
 * the app is seen to use GraphQLModule.
 */
import { Logger } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import type { Registry } from 'prom-client';
import type { ResolvedMetricsOptions } from '../../interfaces/metrics-module-options.interface.js';
import type { InstrumentationErrors } from '../../recording/instrumentation-errors.js';
import { createGraphqlMetricSet } from './graphql-metrics.js';
import { GraphqlOperationRecorder } from './graphql-operation-recorder.js';
import { measureGraphqlWs, type GraphqlWsOptions } from './graphql-ws-hooks.js';
import {
  measureMercurius,
  type MercuriusErrorFormatter,
  type MercuriusOptions,
} from './mercurius-hooks.js';
import {
  extendMergedOptions,
  findGraphqlModule,
  type GraphqlDriver,
  type GraphqlDriverOptions,
} from './nest-graphql-internals.js';
import { MERCURIUS_SERVER, isMercuriusDriver } from './nest-mercurius-internals.js';

/** The graphql-ws options within the driver's `subscriptions`. */
type Subscriptions = { 'graphql-ws'?: GraphqlWsOptions | boolean; [transport: string]: unknown };

export interface GraphqlInstrumentationContext {
  readonly registry: Registry;
  readonly options: ResolvedMetricsOptions;
  /** Puts a new metric under the series cap. */
  readonly protect: (metric: object) => void;
  readonly errors: InstrumentationErrors;
}

/**
 * Adds the metrics plugin to the Apollo server GraphQLModule is about to start, or the metrics hooks to
 * Mercurius; does nothing when the app has no GraphQLModule or its driver is neither. Both take them
 * only before their server starts, in GraphQLModule's `onModuleInit`; MetricsModule is global, and Nest
 * runs the hooks of global modules first, so this runs in time.
 */
export async function instrumentGraphql(
  modules: ModulesContainer | undefined,
  context: GraphqlInstrumentationContext,
): Promise<void> {
  try {
    const graphqlModule = await findGraphqlModule(modules);
    if (!graphqlModule) return;
    const { driver } = graphqlModule;
    const kind = driver ? await driverKind(driver) : undefined;
    if (!driver || !kind) {
      new Logger('MetricsModule').warn(
        'GraphQL operations are measured with the Apollo and Mercurius drivers only; this ' +
          `GraphQLModule uses ${driver?.constructor.name ?? 'no driver'}, so only its HTTP requests are counted.`,
      );
      return;
    }
    const { registry, options, protect, errors } = context;
    const metrics = createGraphqlMetricSet(
      registry,
      options.prefix,
      options.durationBuckets,
      options.graphqlResolverDuration,
    );
    for (const metric of Object.values(metrics)) if (metric) protect(metric);
    const recorder = new GraphqlOperationRecorder(metrics, options.maxSeriesPerMetric, errors);
    // graphql is a dependency of @nestjs/graphql, so it is there whenever GraphQLModule is.
    const { parse } = await import('graphql');
    if (kind === 'mercurius') {
      await extendMercuriusOptions(
        driver,
        recorder,
        options.graphqlResolverDuration,
        parse,
        errors,
      );
      return;
    }
    extendDriverOptions(driver, recorder, options.graphqlResolverDuration, (graphqlWs) =>
      measureGraphqlWs(graphqlWs, recorder, parse, errors),
    );
  } catch (error) {
    context.errors.report('the GraphQL setup', error);
  }
}

async function driverKind(driver: GraphqlDriver): Promise<'apollo' | 'mercurius' | undefined> {
  if (await isApolloDriver(driver)) return 'apollo';
  return (await isMercuriusDriver(driver)) ? 'mercurius' : undefined;
}

async function isApolloDriver(driver: GraphqlDriver): Promise<boolean> {
  try {
    const apollo = await import('@nestjs/apollo');
    const drivers = [
      apollo.ApolloDriver,
      apollo.ApolloFederationDriver,
      apollo.ApolloGatewayDriver,
    ];
    return drivers.some((type) => driver instanceof type);
  } catch {
    return false;
  }
}

/**
 * Appends the plugin to the options the driver hands to `new ApolloServer()` and, for resolver timing,
 * reads the resolver map on its way into the schema. It wraps this driver instance's
 * `mergeDefaultOptions`, whose result is a copy: the app's own options object is untouched.
 */
function extendDriverOptions(
  driver: GraphqlDriver,
  recorder: GraphqlOperationRecorder,
  timeResolvers: boolean,
  measureWebSocket: (graphqlWs: GraphqlWsOptions) => GraphqlWsOptions,
): void {
  extendMergedOptions(driver, (merged) => {
    merged.plugins = [...(merged.plugins ?? []), recorder.plugin()];
    if (timeResolvers) readDeclaredResolvers(merged, recorder);
    // The Apollo driver serves graphql-ws when `subscriptions` names it, and by default with
    // `installSubscriptionHandlers`; `merged.subscriptions` is already the driver's own copy.
    const subscriptions = merged.subscriptions as Subscriptions | undefined;
    const graphqlWs =
      subscriptions?.['graphql-ws'] ??
      (merged.installSubscriptionHandlers && !subscriptions ? true : undefined);
    if (graphqlWs) {
      merged.subscriptions = {
        ...subscriptions,
        'graphql-ws': measureWebSocket(graphqlWs === true ? {} : graphqlWs),
      };
    }
  });
}

/**
 * Adds the metrics hooks (mercurius-hooks.ts) to the options MercuriusDriver registers mercurius with,
 * the same way: through this driver instance's `mergeDefaultOptions`.
 */
async function extendMercuriusOptions(
  driver: GraphqlDriver,
  recorder: GraphqlOperationRecorder,
  timeResolvers: boolean,
  parse: (source: string) => { readonly definitions?: readonly object[] },
  errors: InstrumentationErrors,
): Promise<void> {
  // mercurius is a dependency of @nestjs/mercurius, so it is there whenever MercuriusDriver is.
  const { default: mercurius } = await import('mercurius');
  const defaultErrorFormatter = mercurius.defaultErrorFormatter as MercuriusErrorFormatter;
  extendMergedOptions(
    driver,
    (merged) => {
      if (timeResolvers) readDeclaredResolvers(merged, recorder);
      const options = merged as MercuriusOptions;
      measureMercurius(options, recorder, parse, defaultErrorFormatter, timeResolvers, errors);
    },
    MERCURIUS_SERVER,
  );
}

/**
 * Hands the recorder the resolver map Nest builds from the app's `@Resolver` classes, on its way into
 * the schema (GraphQLFactory passes it through `transformResolvers`, whatever the driver), with the
 * `resolvers` option beside it.
 */
function readDeclaredResolvers(
  merged: GraphqlDriverOptions,
  recorder: GraphqlOperationRecorder,
): void {
  const transform = merged.transformResolvers;
  merged.transformResolvers = (resolvers) => {
    recorder.useResolvers(resolvers, merged.resolvers);
    return transform ? transform(resolvers) : resolvers;
  };
}
