// The one app every setup serves, and the instrumentation each setup adds to it. Plain JavaScript, so
// Nest's decorators are applied with Reflect.decorate instead of the @ syntax.
import 'reflect-metadata';
import { subscribe } from 'node:diagnostics_channel';
import { Agent, get as httpGet } from 'node:http';
import { performance } from 'node:perf_hooks';
import { All, Body, Controller, Get, Module, Param, Post, Query, Res } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  makeCounterProvider,
  makeHistogramProvider,
  PrometheusModule,
  getToken,
} from '@willsoto/nestjs-prometheus';
import promBundle from 'express-prom-bundle';
import fastifyMetrics from 'fastify-metrics';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { tap } from 'rxjs';
import { MetricsModule, MetricsService } from '../dist/metrics/index.js';
import { MANY_ROUTES, SETUP_LABELS, platformOf } from './setups.js';
import { startTracing, traceRequests } from './tracing.js';

function decorateMethod(target, name, methodDecorators, parameterDecorators = []) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  const all = [
    ...methodDecorators,
    ...parameterDecorators.map(
      ([index, decorator]) =>
        (proto, key) =>
          decorator(proto, key, index),
    ),
  ];
  Object.defineProperty(
    target.prototype,
    name,
    Reflect.decorate(all, target.prototype, name, descriptor),
  );
}

class AppController {
  home() {
    return { status: 'ok' };
  }

  item(id, q) {
    return { id: Number(id), name: `item ${id}`, q: q ?? null };
  }

  createUser(body) {
    return { id: 1, ...body };
  }
}
decorateMethod(AppController, 'home', [Get('/')]);
decorateMethod(
  AppController,
  'item',
  [Get('/items/:id')],
  [
    [0, Param('id')],
    [1, Query('q')],
  ],
);
decorateMethod(AppController, 'createUser', [Post('/users')], [[0, Body()]]);
Reflect.decorate([Controller()], AppController);

/** Many route templates, each answering with the status in its last segment. */
class ManyRoutesController {
  answer(status, response) {
    response.status(Number(status)).json({ status: Number(status) });
  }
}
decorateMethod(
  ManyRoutesController,
  'answer',
  [All(Array.from({ length: MANY_ROUTES }, (_, index) => `/many/r${index}/:status`))],
  [
    [0, Param('status')],
    [1, Res()],
  ],
);
Reflect.decorate([Controller()], ManyRoutesController);

/** The interceptor that the @willsoto/nestjs-prometheus tutorials put in front of every handler. */
class TutorialMetricsInterceptor {
  constructor(requests, duration) {
    this.requests = requests;
    this.duration = duration;
  }

  intercept(context, next) {
    const http = context.switchToHttp();
    const request = http.getRequest();
    const response = http.getResponse();
    const stopTimer = this.duration.startTimer();
    const record = () => {
      const labels = {
        method: request.method,
        route: request.route?.path ?? request.url,
        status_code: response.statusCode,
      };
      this.requests.inc(labels);
      stopTimer(labels);
    };
    return next.handle().pipe(tap({ next: record, error: record }));
  }
}

/** The upstream setups' route: one call to the runner's local upstream (BENCH_UPSTREAM_PORT) per request. */
const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 64 });
class UpstreamController {
  upstream() {
    return new Promise((resolve, reject) => {
      const request = httpGet(
        {
          host: '127.0.0.1',
          port: Number(process.env.BENCH_UPSTREAM_PORT),
          path: '/data',
          agent: upstreamAgent,
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => resolve({ upstream: response.statusCode, length: body.length }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
    });
  }
}
decorateMethod(UpstreamController, 'upstream', [Get('/upstream')]);
Reflect.decorate([Controller()], UpstreamController);

const willsotoLabels = ['method', 'route', 'status_code'];

function moduleFor(setup, controllers) {
  const imports = [];
  const providers = [];
  if (
    setup === 'instrumentator' ||
    setup === 'fastify-instrumentator' ||
    setup === 'instrumentator-traced'
  )
    imports.push(MetricsModule.forRoot());
  if (setup === 'instrumentator-exemplars-off' || setup === 'instrumentator-traced-exemplars-off')
    imports.push(MetricsModule.forRoot({ exemplars: false }));
  if (setup === 'instrumentator-upstream') imports.push(MetricsModule.forRoot());
  if (setup === 'instrumentator-upstream-client-off')
    imports.push(MetricsModule.forRoot({ httpClient: false }));
  if (setup === 'instrumentator-tenant')
    imports.push(
      MetricsModule.forRoot({ httpLabels: { tenant: (request) => request.headers['x-tenant'] } }),
    );
  if (setup === 'instrumentator-without-default-metrics')
    imports.push(MetricsModule.forRoot({ defaultMetrics: false }));
  if (setup === 'default-metrics-only' || setup === 'fastify-default-metrics-only')
    collectDefaultMetrics({ register: new Registry() });
  if (setup === 'willsoto') {
    imports.push(PrometheusModule.register());
    providers.push(
      makeCounterProvider({
        name: 'http_requests_total',
        help: 'HTTP requests',
        labelNames: willsotoLabels,
      }),
      makeHistogramProvider({
        name: 'http_request_duration_seconds',
        help: 'HTTP request duration',
        labelNames: willsotoLabels,
      }),
      {
        provide: APP_INTERCEPTOR,
        inject: [getToken('http_requests_total'), getToken('http_request_duration_seconds')],
        useFactory: (requests, duration) => new TutorialMetricsInterceptor(requests, duration),
      },
    );
  }
  class BenchModule {}
  Reflect.decorate([Module({ imports, controllers, providers })], BenchModule);
  return BenchModule;
}

/**
 * The floor setups: about the least that any instrumentation which sees every response and times it
 * pays per request, whatever its design. It subscribes to the two server channels Node publishes on
 * for every request (the design the module's cost is compared with in bench/README.md), keeps the
 * start time on the socket and adds the response's count and duration to two numbers: no route, no
 * labels, no sizes, no aborts, no in-flight tracking, no exemplar, and pipelined requests would be
 * timed wrong. Node builds a message object for each publish only while a channel has subscribers,
 * so this includes what Node itself adds. The start is kept on the socket, not the response: Express
 * reshapes every response, so a property added to one costs V8 a map migration (about 5,700
 * instructions a request, counted).
 */
function recordEveryResponseAtLeastCost() {
  const startedAt = Symbol('startedAt');
  const totals = { responses: 0, seconds: 0 };
  subscribe('http.server.request.start', ({ socket }) => {
    socket[startedAt] = performance.now();
  });
  subscribe('http.server.response.finish', ({ socket }) => {
    totals.responses++;
    totals.seconds += (performance.now() - socket[startedAt]) / 1000;
  });
  return totals;
}

/** The GraphQL setups' schema: one query and one mutation over an in-memory list. */
export const GRAPHQL_TYPE_DEFS = `
  type Item { id: Int!, name: String! }
  type Query { item(id: Int!): Item }
  type Mutation { addItem(name: String!): Item! }
`;

/**
 * The same GraphQL app for both GraphQL setups, with or without MetricsModule. @nestjs/graphql and
 * @nestjs/apollo are loaded only here, so the HTTP setups never load them.
 */
async function graphqlModuleFor(setup) {
  const { Args, GraphQLModule, Mutation, Query, Resolver } = await import('@nestjs/graphql');
  const { ApolloDriver } = await import('@nestjs/apollo');
  class ItemsResolver {
    item(id) {
      return { id, name: `item ${id}` };
    }

    addItem(name) {
      return { id: 1, name };
    }
  }
  decorateMethod(ItemsResolver, 'item', [Query('item')], [[0, Args('id')]]);
  decorateMethod(ItemsResolver, 'addItem', [Mutation('addItem')], [[0, Args('name')]]);
  Reflect.decorate([Resolver()], ItemsResolver);
  const imports = [
    GraphQLModule.forRoot({ driver: ApolloDriver, typeDefs: GRAPHQL_TYPE_DEFS, graphiql: false }),
  ];
  if (setup === 'graphql-instrumentator') imports.push(MetricsModule.forRoot());
  class GraphqlBenchModule {}
  Reflect.decorate([Module({ imports, providers: [ItemsResolver] })], GraphqlBenchModule);
  return GraphqlBenchModule;
}

/**
 * Boots the app for a setup on 127.0.0.1 and an ephemeral port.
 * @param manyRoutes adds the many-routes controller (scrape measurements only).
 */
export async function startApp(setup, { manyRoutes = false } = {}) {
  if (!SETUP_LABELS[setup]) {
    throw new Error(
      `unknown setup "${setup}"; expected one of ${Object.keys(SETUP_LABELS).join(', ')}`,
    );
  }
  const controllers = manyRoutes ? [AppController, ManyRoutesController] : [AppController];
  if (setup.startsWith('instrumentator-upstream')) controllers.push(UpstreamController);
  const traced = setup.startsWith('instrumentator-traced');
  if (traced) startTracing();
  const module = setup.startsWith('graphql-')
    ? await graphqlModuleFor(setup)
    : moduleFor(setup, controllers);
  const app =
    platformOf(setup) === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(module, { logger: false });
  if (traced) traceRequests(app.getHttpServer());
  if (setup === 'prom-bundle') {
    app.use(
      promBundle({
        includeMethod: true,
        includePath: true,
        includeStatusCode: true,
        promClient: { collectDefaultMetrics: {} },
      }),
    );
  }
  if (setup === 'fastify-metrics') {
    // Its defaults, as its README shows them: default metrics, a duration histogram and summary per
    // route, and /metrics. Registered before listen(), so its onRoute hook sees Nest's routes.
    await app.register(fastifyMetrics.default, { endpoint: '/metrics' });
  }
  if (setup === 'floor' || setup === 'fastify-floor') recordEveryResponseAtLeastCost();
  await app.listen(0, '127.0.0.1');
  const metricsService = setup.includes('instrumentator') ? app.get(MetricsService) : undefined;
  return { app, port: app.getHttpServer().address().port, metricsService };
}
