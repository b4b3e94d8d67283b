import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import { Counter, register as globalRegistry } from 'prom-client';
import request from 'supertest';
import { valueOf } from '../../test/support/exposition.js';
import type { MetricsModuleOptions } from './interfaces/metrics-module-options.interface.js';
import { MetricsModule } from './metrics.module.js';
import { MetricsService } from './metrics.service.js';
import { RESOLVED_METRICS_OPTIONS } from './metrics.constants.js';
import type { ResolvedMetricsOptions } from './interfaces/metrics-module-options.interface.js';
import { PLATFORMS, createPlatformApp, initPlatformApp } from '../../test/support/platforms.js';

@Module({
  providers: [
    { provide: 'METRICS_SETTINGS', useValue: { prefix: 'async_', groupStatusCodes: true } },
  ],
  exports: ['METRICS_SETTINGS'],
})
class SettingsModule {}

@Injectable()
class OptionsFactory {
  createMetricsOptions(): MetricsModuleOptions {
    return { prefix: 'fromclass_' };
  }
}

@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class FactoryModule {}

let moduleRef: TestingModule | undefined;
afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
  delete process.env.ENABLE_METRICS;
  delete process.env.METRICS_SWITCH;
});

async function resolvedOptions(
  imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>,
) {
  moduleRef = await Test.createTestingModule({ imports }).compile();
  await moduleRef.init();
  return moduleRef.get<ResolvedMetricsOptions>(RESOLVED_METRICS_OPTIONS);
}

describe('MetricsModule registration', () => {
  it('forRoot() with no options uses the defaults', async () => {
    const options = await resolvedOptions([MetricsModule.forRoot()]);
    expect(options).toMatchObject({
      path: '/metrics',
      customPath: '/metrics/custom',
      enabled: true,
      groupStatusCodes: false,
      inProgressLabels: true,
      prefix: '',
      defaultLabels: {},
      defaultMetrics: {},
      appName: 'nestjs-instrumentator',
      auth: undefined,
    });
    expect(options.durationBuckets).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
  });

  it('forRoot(options) applies them', async () => {
    const options = await resolvedOptions([
      MetricsModule.forRoot({
        path: 'stats',
        prefix: 'shop_',
        defaultLabels: { team: 'shop' },
        appName: 'shop',
        appVersion: '2.1.0',
      }),
    ]);
    expect(options).toMatchObject({
      path: '/stats',
      prefix: 'shop_',
      defaultLabels: { team: 'shop' },
      appName: 'shop',
      appVersion: '2.1.0',
    });
    const text = await moduleRef!.get(MetricsService).registry.metrics();
    expect(valueOf(text, 'shop_app_info', { name: 'shop', version: '2.1.0' })).toBe(1);
  });

  it('forRootAsync with useFactory and inject', async () => {
    const options = await resolvedOptions([
      MetricsModule.forRootAsync({
        imports: [SettingsModule],
        inject: ['METRICS_SETTINGS'],
        useFactory: async (settings: MetricsModuleOptions) => settings,
      }),
    ]);
    expect(options).toMatchObject({ prefix: 'async_', groupStatusCodes: true });
  });

  it('forRootAsync with useClass', async () => {
    const options = await resolvedOptions([
      MetricsModule.forRootAsync({ useClass: OptionsFactory }),
    ]);
    expect(options.prefix).toBe('fromclass_');
  });

  it('forRootAsync with useExisting', async () => {
    const options = await resolvedOptions([
      MetricsModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory }),
    ]);
    expect(options.prefix).toBe('fromclass_');
  });

  it('fails bootstrap with an error that names a bad option', async () => {
    const cases: Array<[MetricsModuleOptions, string]> = [
      [
        { durationBuckets: [0.1, 0.05] },
        'MetricsModule: option "durationBuckets" must be strictly increasing; item 1 (0.05) is not',
      ],
      [{ sizeBuckets: [] }, 'option "sizeBuckets" must be a non-empty array of numbers'],
      [{ prefix: '9lives' }, 'option "prefix" must start with a letter'],
      [{ path: '/metrics?x=1' }, 'option "path" must be a plain route path'],
      [{ customPath: '/metrics' }, 'option "customPath" must differ from "path"'],
      [
        { excludePaths: ['health'] },
        'option "excludePaths[0]" must be a path starting with "/" or a RegExp',
      ],
      [
        { defaultLabels: { 'bad-name': 'x' } },
        'option "defaultLabels.bad-name" is not a valid Prometheus label name',
      ],
      [
        { defaultLabels: { service: 'shop' } },
        'option "defaultLabels.service" is a label of the module\'s own metrics; pick another name (e.g. "app_service")',
      ],
      [{ auth: { bearerToken: '' } }, 'option "auth.bearerToken" must be a non-empty string'],
      [
        { auth: { username: 'a' } as never },
        'option "auth" must be { bearerToken } or { username, password }',
      ],
      [{ enabled: 'yes' as never }, 'option "enabled" must be true or false, got "yes"'],
      [{ groupStatusCode: true } as never, 'option "groupStatusCode" is not a known option'],
      [{ defaultMetrics: 1 as never }, 'option "defaultMetrics" must be true, false or an object'],
    ];
    for (const [options, message] of cases) {
      await expect(
        Test.createTestingModule({ imports: [MetricsModule.forRoot(options)] }).compile(),
      ).rejects.toThrow(message);
    }
  });

  it('fails bootstrap on an unreadable environment switch', async () => {
    process.env.ENABLE_METRICS = 'perhaps';
    await expect(
      Test.createTestingModule({ imports: [MetricsModule.forRoot()] }).compile(),
    ).rejects.toThrow(
      'option "enabled" is set by the environment variable ENABLE_METRICS="perhaps"',
    );
  });
});

describe.each(PLATFORMS)('turning metrics off on %s', (platform) => {
  async function app(options: MetricsModuleOptions = {}) {
    moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot(options)],
    }).compile();
    return initPlatformApp(await createPlatformApp(moduleRef, platform, { logger: false }));
  }

  it('ENABLE_METRICS=false turns off instrumentation and both endpoints', async () => {
    process.env.ENABLE_METRICS = 'false';
    const nest = await app();
    await request(nest.getHttpServer()).get('/metrics').expect(404);
    await request(nest.getHttpServer()).get('/metrics/custom').expect(404);
    const service = nest.get(MetricsService);
    service.recordDbOperation('select', 'users', 'success');
    expect(
      valueOf(await service.registry.metrics(), 'database_operations_total', { table: 'users' }),
    ).toBeUndefined();
    await nest.close();
  });

  it('envVarName renames the switch, and enabled: false works without it', async () => {
    process.env.METRICS_SWITCH = 'off';
    let nest = await app({ envVarName: 'METRICS_SWITCH' });
    await request(nest.getHttpServer()).get('/metrics').expect(404);
    await nest.close();
    delete process.env.METRICS_SWITCH;
    nest = await app({ enabled: false });
    await request(nest.getHttpServer()).get('/metrics').expect(404);
    await nest.close();
  });
});

describe.each(PLATFORMS)('building on @willsoto/nestjs-prometheus on %s', (platform) => {
  const ordersCounter = makeCounterProvider({
    name: 'orders_placed_total',
    help: 'Orders placed.',
  });

  @Injectable()
  class OrdersService {
    constructor(
      @InjectMetric('orders_placed_total') readonly orders: Counter<string>,
      @InjectMetric('http_requests_total') readonly requests: Counter<string>,
    ) {}
  }

  afterEach(() => globalRegistry.removeSingleMetric('orders_placed_total'));

  it('injects the module metrics by name and exposes metrics made with its providers', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ defaultMetrics: false })],
      providers: [ordersCounter, OrdersService],
    }).compile();
    const nest = await initPlatformApp(
      await createPlatformApp(moduleRef, platform, { logger: false }),
    );
    const orders = nest.get(OrdersService);
    expect(orders.requests).toBe(nest.get(MetricsService).metrics.httpRequestsTotal);
    orders.orders.inc(3);
    const text = (await request(nest.getHttpServer()).get('/metrics').expect(200)).text;
    expect(valueOf(text, 'orders_placed_total')).toBe(3);
    expect(text).toContain('# TYPE http_requests_total counter');
    await nest.close();
  });
});

describe.each(PLATFORMS)('several apps in one process on %s', (platform) => {
  it('creates, closes and recreates apps, each with counts of its own', async () => {
    for (const expected of [2, 1]) {
      const ref = await Test.createTestingModule({ imports: [MetricsModule.forRoot()] }).compile();
      const nest = await initPlatformApp(await createPlatformApp(ref, platform, { logger: false }));
      for (let i = 0; i < expected; i++)
        await request(nest.getHttpServer()).get('/nope').expect(404);
      let text = '';
      for (
        let attempt = 0;
        attempt < 50 && valueOf(text, 'http_requests_total', { status_code: '404' }) !== expected;
        attempt++
      ) {
        text = (await request(nest.getHttpServer()).get('/metrics').expect(200)).text;
      }
      expect(
        valueOf(text, 'http_requests_total', { endpoint: '<unmatched>', status_code: '404' }),
      ).toBe(expected);
      expect(text).toContain('process_cpu_user_seconds_total');
      await nest.close();
    }
  });
});
