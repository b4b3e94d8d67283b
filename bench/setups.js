// What the benchmark compares. Kept apart from app.js, which needs the built library, so that the
// runner can read it before it builds.

/**
 * The setups of a full run, Express first, then Fastify; each platform has its own bare app. Each
 * platform's floor is measured beside the module, so that every run shows how much of a target any
 * design that times every response already spends.
 */
export const SETUPS = [
  'bare',
  'instrumentator',
  'willsoto',
  'prom-bundle',
  'default-metrics-only',
  'floor',
  'fastify-bare',
  'fastify-bare-twin',
  'fastify-instrumentator',
  'fastify-metrics',
  'fastify-default-metrics-only',
  'fastify-floor',
];

/** Every setup app.js can start. The twins and the floors are diagnostics, for `--setups=` and
 * `--compare=`: a twin shows the noise between two identical processes, a floor the cost of Node's
 * server channels themselves, the others isolate one part of the cost. */
export const SETUP_LABELS = {
  bare: 'bare Nest app',
  'bare-twin': 'bare Nest app, a second process (shows the noise)',
  instrumentator: 'MetricsModule.forRoot()',
  willsoto: '@willsoto/nestjs-prometheus + interceptor',
  'prom-bundle': 'express-prom-bundle',
  'default-metrics-only': "bare + prom-client's default metrics",
  'instrumentator-without-default-metrics': 'MetricsModule.forRoot({ defaultMetrics: false })',
  'fastify-bare': 'bare Nest app on Fastify',
  'fastify-instrumentator': 'MetricsModule.forRoot() on Fastify',
  'fastify-metrics': "fastify-metrics on Nest's Fastify instance",
  'fastify-bare-twin': 'bare Nest app on Fastify, a second app (shows the noise)',
  'fastify-default-metrics-only': "bare Nest app on Fastify + prom-client's default metrics",
  floor: 'bare Nest app + the least any per-response metric costs (see app.js)',
  'fastify-floor':
    'bare Nest app on Fastify + the least any per-response metric costs (see app.js)',
  'instrumentator-exemplars-off': 'MetricsModule.forRoot({ exemplars: false })',
  'instrumentator-traced': 'MetricsModule.forRoot(), OpenTelemetry tracer: exemplars on',
  'instrumentator-traced-exemplars-off':
    'MetricsModule.forRoot({ exemplars: false }), OpenTelemetry tracer',
  'instrumentator-upstream':
    'MetricsModule.forRoot(), GET /upstream calls a local node:http server once per request',
  'instrumentator-upstream-client-off':
    'the same with MetricsModule.forRoot({ httpClient: false })',
  'instrumentator-tenant':
    "MetricsModule.forRoot({ httpLabels: { tenant: (req) => req.headers['x-tenant'] } })",
  'graphql-bare': 'bare Nest GraphQL app (Apollo, Express)',
  'graphql-bare-twin': 'bare Nest GraphQL app, a second app (shows the noise)',
  'graphql-instrumentator': 'the same GraphQL app + MetricsModule.forRoot()',
};

/**
 * The GraphQL comparison (`--only=graphql`): the first is the baseline of the others; the second bare
 * app shows how far two processes of the same app drift apart, as the Express twin does.
 */
export const GRAPHQL_SETUPS = ['graphql-bare', 'graphql-bare-twin', 'graphql-instrumentator'];

/**
 * The two HTTP platforms, each with the bare app its setups are compared with, their peers, and the
 * floor setup: the least that timing every response costs there (see app.js).
 */
export const PLATFORMS = {
  express: {
    name: 'Express',
    bare: 'bare',
    ours: 'instrumentator',
    peers: ['willsoto', 'prom-bundle'],
    floor: 'floor',
  },
  fastify: {
    name: 'Fastify',
    bare: 'fastify-bare',
    ours: 'fastify-instrumentator',
    peers: ['fastify-metrics'],
    floor: 'fastify-floor',
  },
};

/** The platform a setup runs on: its name says so. */
export const platformOf = (setup) => (setup.startsWith('fastify-') ? 'fastify' : 'express');

/** Routes of the many-routes app, to reach about 40,000 series: routes × methods × statuses × ~48. */
export const MANY_ROUTES = 166;
export const MANY_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
export const MANY_STATUSES = [200, 201, 404, 503];

/**
 * The feature costs (`--only=features`): each pair is [the app without the feature, the same app with
 * it], measured in its own interleaved rounds and driven with the named mix (see run.js).
 */
export const FEATURE_PAIRS = [
  { name: 'noise: two identical bare processes', pair: ['bare', 'bare-twin'], mix: 'default' },
  {
    name: 'exemplars on, with a tracer',
    pair: ['instrumentator-traced-exemplars-off', 'instrumentator-traced'],
    mix: 'default',
  },
  {
    name: "no tracer: exemplars 'auto' vs false",
    pair: ['instrumentator-exemplars-off', 'instrumentator'],
    mix: 'default',
  },
  {
    name: 'outbound metrics, one outbound call per request',
    pair: ['instrumentator-upstream-client-off', 'instrumentator-upstream'],
    mix: 'upstream',
  },
  {
    name: 'request-derived label (tenant, 5 values)',
    pair: ['instrumentator', 'instrumentator-tenant'],
    mix: 'tenant',
  },
];

/**
 * The paired comparison (`--only=paired`): per platform, and for the GraphQL app (Apollo on Express),
 * these apps share one server process and take turns under load, so the differences between them are
 * not blurred by differences between processes. The first is the baseline, the last the module's app.
 */
export const PAIRED_SETUPS = {
  express: ['bare', 'bare-twin', 'instrumentator'],
  fastify: ['fastify-bare', 'fastify-bare-twin', 'fastify-instrumentator'],
  graphql: ['graphql-bare', 'graphql-bare-twin', 'graphql-instrumentator'],
};
