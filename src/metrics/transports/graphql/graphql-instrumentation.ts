/**
 * Finds @nestjs/graphql's Apollo driver at bootstrap and measures its operations. @nestjs/graphql and
 * @nestjs/apollo are optional peers: they are imported only once the app is seen to use GraphQLModule.
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
  extendMergedOptions,
  findGraphqlModule,
  type GraphqlDriver,
} from './nest-graphql-internals.js';

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
 * Adds the metrics plugin to the Apollo server GraphQLModule is about to start; does nothing when the
 * app has no GraphQLModule or its driver is not Apollo's. Apollo's plugins are fixed once its server
 * starts, in GraphQLModule's `onModuleInit`; MetricsModule is global, and Nest runs the hooks of global
 * modules first, so this runs in time.
 */
export async function instrumentGraphql(
  modules: ModulesContainer | undefined,
  context: GraphqlInstrumentationContext,
): Promise<void> {
  try {
    const graphqlModule = await findGraphqlModule(modules);
    if (!graphqlModule) return;
    const { driver } = graphqlModule;
    if (!driver || !(await isApolloDriver(driver))) {
      new Logger('MetricsModule').warn(
        'GraphQL operations are measured with the Apollo driver only; this GraphQLModule uses ' +
          `${driver?.constructor.name ?? 'no driver'}, so only its HTTP requests are counted.`,
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
    extendDriverOptions(driver, recorder, options.graphqlResolverDuration, (graphqlWs) =>
      measureGraphqlWs(graphqlWs, recorder, parse, errors),
    );
  } catch (error) {
    context.errors.report('the GraphQL setup', error);
  }
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
    if (timeResolvers) {
      const transform = merged.transformResolvers;
      merged.transformResolvers = (resolvers) => {
        recorder.useResolvers(resolvers, merged.resolvers);
        return transform ? transform(resolvers) : resolvers;
      };
    }
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
