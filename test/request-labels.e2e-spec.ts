import { afterEach, describe, expect, it } from '@jest/globals';
import { PLATFORMS, createPlatformApp, type Platform } from './support/platforms.js';
import {
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import http from 'node:http';
import {
  MetricsModule,
  MetricsOptionsError,
  MetricsService,
  NoMetrics,
  type MetricsModuleOptions,
} from '../src/metrics/index.js';
import { resolveMetricsOptions } from '../src/metrics/options/resolve-options.js';
import { labelValues, samplesOf, sumOf, valueOf } from './support/exposition.js';
import { listenAppOnLoopback } from './support/loopback.js';
import { FAST_POLL, pollUntil } from './support/poll.js';

const REQUESTS = 'http_requests_total';
const DURATION_COUNT = 'http_request_duration_seconds_count';
const EXCEPTIONS = 'http_exceptions_total';

@Injectable()
class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller('orders')
class OrdersController {
  @Get()
  list() {
    return [];
  }

  @NoMetrics()
  @Get('internal')
  internal() {
    return 'internal';
  }

  @NoMetrics()
  @UseGuards(DenyAll)
  @Get('denied')
  denied() {
    return 'never';
  }
}

@NoMetrics()
@Controller('health')
class HealthController {
  @Get()
  check() {
    return 'ok';
  }

  @Get('fail')
  fail() {
    throw new ForbiddenException();
  }
}

/** One inherited handler serves both controllers below; only one of them is marked. */
class StatusRoutes {
  @Get('status')
  status() {
    return 'ok';
  }
}

@Controller('public')
class PublicStatusController extends StatusRoutes {}

@NoMetrics()
@Controller('private')
class PrivateStatusController extends StatusRoutes {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function createApp(platform: Platform, options: MetricsModuleOptions = {}) {
  @Module({
    imports: [MetricsModule.forRoot({ defaultMetrics: false, ...options })],
    controllers: [
      OrdersController,
      HealthController,
      PublicStatusController,
      PrivateStatusController,
    ],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = await createPlatformApp(moduleRef, platform, { logger: false });
  const base = await listenAppOnLoopback(app);
  const service = app.get(MetricsService);
  return {
    scrape: async () => (await service.exposition()).text,
    /** A GET with the given headers; resolves with the status once the body has arrived. */
    get: (path: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        http
          .get(`${base}${path}`, { headers, agent: false }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          })
          .on('error', reject);
      }),
  };
}

/** The response `close` event lands a tick after the client has its answer. */
async function scrapeWhen(scrape: () => Promise<string>, total: number): Promise<string> {
  return pollUntil(
    `${total} responses to be counted`,
    async () => {
      const text = await scrape();
      return sumOf(text, REQUESTS) === total ? text : undefined;
    },
    FAST_POLL,
  );
}

describe.each(PLATFORMS)('request-derived labels on %s', (platform) => {
  it('labels every HTTP metric by tenant, one series per tenant', async () => {
    const { get, scrape } = await createApp(platform, {
      httpLabels: { tenant: (req) => req.headers['x-tenant'] },
    });
    expect(await get('/orders', { 'x-tenant': 'acme' })).toBe(200);
    expect(await get('/orders', { 'x-tenant': 'acme' })).toBe(200);
    expect(await get('/orders', { 'x-tenant': 'globex' })).toBe(200);
    expect(await get('/orders')).toBe(200);

    const text = await scrapeWhen(scrape, 4);
    const orders = { method: 'GET', endpoint: '/orders', status_code: '200' };
    expect(valueOf(text, REQUESTS, { ...orders, tenant: 'acme' })).toBe(2);
    expect(valueOf(text, REQUESTS, { ...orders, tenant: 'globex' })).toBe(1);
    expect(valueOf(text, REQUESTS, { ...orders, tenant: '' })).toBe(1);
    expect(samplesOf(text, REQUESTS)).toHaveLength(3);
    expect(valueOf(text, DURATION_COUNT, { endpoint: '/orders', tenant: 'acme' })).toBe(2);
    expect(
      valueOf(text, 'http_request_size_bytes_count', { endpoint: '/orders', tenant: 'globex' }),
    ).toBe(1);
  });

  it("hands the label function the Node request, not the platform's wrapper", async () => {
    const seen: unknown[] = [];
    const { get, scrape } = await createApp(platform, {
      httpLabels: { tenant: (req) => (seen.push(req), 'one') },
    });
    expect(await get('/orders')).toBe(200);
    await scrapeWhen(scrape, 1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(http.IncomingMessage);
    // Fastify's own request wraps the Node one as `raw`; the function gets the Node one itself.
    expect(seen[0]).not.toHaveProperty('raw');
  });

  it('keeps a flood of tenants bounded, folding the rest into an exact <other> count', async () => {
    const { get, scrape } = await createApp(platform, {
      httpLabels: { tenant: { value: (req) => req.headers['x-tenant'], maxValues: 3 } },
    });
    for (let i = 0; i < 40; i++) await get('/orders', { 'x-tenant': `tenant-${i}` });
    await get('/orders', { 'x-tenant': 'tenant-1' });

    const text = await scrapeWhen(scrape, 41);
    expect(labelValues(text, REQUESTS, 'tenant').sort()).toEqual(
      ['<other>', 'tenant-0', 'tenant-1', 'tenant-2'].sort(),
    );
    expect(valueOf(text, REQUESTS, { tenant: 'tenant-0' })).toBe(1);
    expect(valueOf(text, REQUESTS, { tenant: 'tenant-1' })).toBe(2);
    expect(valueOf(text, REQUESTS, { tenant: 'tenant-2' })).toBe(1);
    expect(valueOf(text, REQUESTS, { tenant: '<other>' })).toBe(37);
    expect(samplesOf(text, DURATION_COUNT)).toHaveLength(4);
    expect(text).not.toContain('tenant-3');
  });

  it('records values that are not short printable strings as <invalid>, without using up the cap', async () => {
    const { get, scrape } = await createApp(platform, {
      httpLabels: {
        tenant: { value: (req) => req.headers['x-tenant'], maxValues: 1 },
        tier: {
          value: (req) => {
            const tier = req.headers['x-tier'];
            if (tier === 'throw') throw new Error('no tier');
            return tier === 'object' ? { tier } : tier;
          },
          allowedValues: ['free', 'pro'],
        },
      },
    });
    await get('/orders', { 'x-tenant': 'x'.repeat(65), 'x-tier': 'object' });
    await get('/orders', { 'x-tenant': 'caf\u00e9', 'x-tier': 'throw' });
    await get('/orders', { 'x-tenant': 'acme', 'x-tier': 'gold' });
    await get('/orders', { 'x-tenant': 'x'.repeat(64), 'x-tier': 'pro' });
    await get('/orders', { 'x-tenant': 'acme', 'x-tier': 'free' });

    const text = await scrapeWhen(scrape, 5);
    const count = (tenant: string, tier: string) => valueOf(text, REQUESTS, { tenant, tier });
    expect(count('<invalid>', '<invalid>')).toBe(2);
    expect(count('acme', '<other>')).toBe(1);
    expect(count('<other>', 'pro')).toBe(1);
    expect(count('acme', 'free')).toBe(1);
    expect(samplesOf(text, REQUESTS)).toHaveLength(4);
    expect(text).not.toContain('caf');
  });

  it('carries the labels into http_exceptions_total', async () => {
    const { get, scrape } = await createApp(platform, {
      httpLabels: { tenant: (req) => req.headers['x-tenant'] },
    });
    expect(await get('/missing', { 'x-tenant': 'acme' })).toBe(404);
    const text = await scrapeWhen(scrape, 1);
    expect(
      valueOf(text, EXCEPTIONS, {
        exception_type: 'NotFoundException',
        endpoint: '<unmatched>',
        tenant: 'acme',
      }),
    ).toBe(1);
  });
});

describe.each(PLATFORMS)('@NoMetrics() on %s', (platform) => {
  it('decides per controller for a handler that several controllers inherit', async () => {
    const { get, scrape } = await createApp(platform);
    expect(await get('/public/status')).toBe(200);
    expect(await get('/private/status')).toBe(200);
    expect(await get('/public/status')).toBe(200);

    await scrapeWhen(scrape, 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await scrape();
    expect(labelValues(text, REQUESTS, 'endpoint')).toEqual(['/public/status']);
    expect(sumOf(text, REQUESTS)).toBe(2);
  });

  it('leaves out the routes of a marked handler and of every handler of a marked controller', async () => {
    const { get, scrape } = await createApp(platform);
    expect(await get('/orders/internal')).toBe(200);
    expect(await get('/orders/denied')).toBe(403);
    expect(await get('/health')).toBe(200);
    expect(await get('/health/fail')).toBe(403);
    expect(await get('/orders')).toBe(200);

    const text = await scrapeWhen(scrape, 1);
    // The excluded responses end before the last one, so they would be counted by now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const later = await scrape();
    expect(labelValues(later, REQUESTS, 'endpoint')).toEqual(['/orders']);
    expect(sumOf(later, REQUESTS)).toBe(1);
    expect(labelValues(later, DURATION_COUNT, 'endpoint')).toEqual(['/orders']);
    expect(samplesOf(later, EXCEPTIONS)).toEqual([]);
    expect(samplesOf(text, 'http_requests_in_progress').map((s) => s.labels.endpoint)).toEqual([
      '/orders',
    ]);
  });
});

describe('httpLabels option', () => {
  const tenant = (req: http.IncomingMessage) => req.headers['x-tenant'];
  const invalid: Array<[string, unknown, string]> = [
    ['not an object', 'tenant', 'httpLabels'],
    ['a clash with a label of the module', { endpoint: tenant }, 'httpLabels.endpoint'],
    ['a clash with status_code', { status_code: tenant }, 'httpLabels.status_code'],
    ['an invalid label name', { 'x-tenant': tenant }, 'httpLabels.x-tenant'],
    ['a reserved label name', { __tenant: tenant }, 'httpLabels.__tenant'],
    ['a value that is not a function', { tenant: 'x-tenant' }, 'httpLabels.tenant'],
    ['an object without a value function', { tenant: { value: 'x' } }, 'httpLabels.tenant.value'],
    ['an unknown setting', { tenant: { value: tenant, max: 3 } }, 'httpLabels.tenant.max'],
    ['maxValues of 0', { tenant: { value: tenant, maxValues: 0 } }, 'httpLabels.tenant.maxValues'],
    [
      'an allowed value that could never be kept',
      { tenant: { value: tenant, allowedValues: ['ok', 'x'.repeat(65)] } },
      'httpLabels.tenant.allowedValues[1]',
    ],
    [
      'too many labels',
      { a: tenant, b: tenant, c: tenant, d: tenant, e: tenant, f: tenant },
      'httpLabels',
    ],
  ];
  it.each(invalid)('rejects %s, naming the option', (_, httpLabels, named) => {
    const options = { httpLabels } as MetricsModuleOptions;
    expect(() => resolveMetricsOptions(options)).toThrow(MetricsOptionsError);
    expect(() => resolveMetricsOptions(options)).toThrow(`option "${named}"`);
  });

  it('rejects a label that repeats a default label', () => {
    const options: MetricsModuleOptions = {
      defaultLabels: { tenant: 'all' },
      httpLabels: { tenant },
    };
    expect(() => resolveMetricsOptions(options)).toThrow(
      'option "httpLabels.tenant" clashes with defaultLabels.tenant',
    );
  });

  it('fails the app at bootstrap with the option named', async () => {
    const moduleRef = Test.createTestingModule({
      imports: [MetricsModule.forRoot({ httpLabels: { method: tenant } })],
    });
    await expect(moduleRef.compile()).rejects.toThrow('option "httpLabels.method"');
  });
});
