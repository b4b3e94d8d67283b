/**
 * Packs the library as it would be published, installs the tarball into throwaway Nest apps and boots
 * each in its own Node process: proof that the package holds what a user needs, nothing of the demo,
 * and that it runs on either HTTP platform with the other one not installed at all.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type ChildProcessHandle } from './support/child-process.js';
import { valueOf } from './support/exposition.js';
import { DASHBOARD_PAGE } from '../src/metrics/dashboard/dashboard-page.js';
import { PLATFORMS, type Platform } from './support/platforms.js';
import { pollUntil } from './support/poll.js';
import { PROJECT_ROOT as root } from './support/project-root.js';

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let workDir: string;
let tarball: string;
let app: ChildProcessHandle | undefined;

/** What each platform's app needs installed beside Nest, and the framework that comes with it. */
const PLATFORM_PACKAGES: Record<Platform, { nest: string; framework: string }> = {
  express: { nest: '@nestjs/platform-express', framework: 'express' },
  fastify: { nest: '@nestjs/platform-fastify', framework: 'fastify' },
};

const CONSUMER_APP = `
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MetricsModule, TrackDbOperation } from 'nestjs-instrumentator';

class Store {
  find() { return { hello: 'world' }; }
}
// What TypeScript emits for a method decorator, written out by hand in plain JavaScript.
Object.defineProperty(Store.prototype, 'find', Reflect.decorate([TrackDbOperation('select', 'greetings')],
  Store.prototype, 'find', Object.getOwnPropertyDescriptor(Store.prototype, 'find')));

class HelloController {
  constructor() { this.store = new Store(); }
  hello() { return this.store.find(); }
}
Reflect.decorate([Get('hello')], HelloController.prototype, 'hello',
  Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));
Reflect.decorate([Controller()], HelloController);

class AppModule {}
Reflect.decorate([Module({ imports: [MetricsModule.forRoot({ dashboard: true })], controllers: [HelloController] })], AppModule);

// The platform comes from the command line; Fastify's adapter is imported only when asked for, as the
// Express app may run where @nestjs/platform-fastify is not installed.
const app = process.argv[2] === 'fastify'
  ? await NestFactory.create(AppModule,
      new (await import('@nestjs/platform-fastify')).FastifyAdapter(), { logger: false })
  : await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
process.stdout.write('LISTENING ' + app.getHttpServer().address().port + '\\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'instrumentator-pack-'));
  // Staged copy, so packing never rewrites the dist/ that other suites may be running.
  const stage = join(workDir, 'stage');
  run(
    'npx',
    ['tsc', '-p', join(root, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')],
    root,
  );
  copyFileSync(join(root, 'package.json'), join(stage, 'package.json'));
  copyFileSync(join(root, 'README.md'), join(stage, 'README.md'));
  const packed = JSON.parse(
    run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], stage),
  );
  tarball = join(workDir, packed[0].filename);
}, 180_000);

afterAll(async () => {
  await app?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the published package', () => {
  it('holds the library and its types, and none of the demo or the tests', () => {
    const files = run('tar', ['tzf', tarball], workDir).trim().split('\n').sort();
    expect(files).toContain('package/dist/metrics/index.js');
    expect(files).toContain('package/dist/metrics/index.d.ts');
    expect(files).toContain('package/dist/metrics/metrics.module.js');
    expect(files).toContain('package/dist/metrics/dashboard/dashboard-page.js');
    expect(files).toContain('package/package.json');
    expect(files).toContain('package/README.md');
    expect(
      files.filter(
        (file) =>
          !file.startsWith('package/dist/metrics/') &&
          !/^package\/(package\.json|README\.md)$/.test(file),
      ),
    ).toEqual([]);
    expect(
      files.filter((file) => /\.(spec|e2e-spec)\./.test(file) || file.endsWith('.map')),
    ).toEqual([]);
  });

  it('declares Nest, prom-client, reflect-metadata and rxjs as peers; each platform, the transports and the OpenTelemetry API as optional ones', () => {
    expect(Object.keys(rootPackage.peerDependencies).sort()).toEqual([
      '@nestjs/apollo',
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/graphql',
      '@nestjs/mercurius',
      '@nestjs/microservices',
      '@nestjs/platform-express',
      '@nestjs/platform-fastify',
      '@nestjs/websockets',
      '@opentelemetry/api',
      'mercurius',
      'prom-client',
      'reflect-metadata',
      'rxjs',
    ]);
    expect(rootPackage.peerDependenciesMeta).toEqual({
      '@nestjs/apollo': { optional: true },
      '@nestjs/graphql': { optional: true },
      '@nestjs/mercurius': { optional: true },
      '@nestjs/microservices': { optional: true },
      '@nestjs/platform-express': { optional: true },
      '@nestjs/platform-fastify': { optional: true },
      '@nestjs/websockets': { optional: true },
      '@opentelemetry/api': { optional: true },
      mercurius: { optional: true },
    });
    expect(rootPackage.main).toBe('dist/metrics/index.js');
    expect(rootPackage.types).toBe('dist/metrics/index.d.ts');
  });

  /**
   * Installs the tarball with Nest, the library's peers and `platforms` into a fresh folder.
   * @returns the folder.
   */
  function installConsumer(name: string, platforms: readonly Platform[]): string {
    const consumer = join(workDir, name);
    const pin = (dependency: string) => rootPackage.devDependencies[dependency] as string;
    run('mkdir', ['-p', consumer], workDir);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'consumer-app',
        private: true,
        type: 'module',
        dependencies: {
          'nestjs-instrumentator': `file:${tarball}`,
          ...Object.fromEntries(
            [
              '@nestjs/common',
              '@nestjs/core',
              ...platforms.map((platform) => PLATFORM_PACKAGES[platform].nest),
              'prom-client',
              'reflect-metadata',
              'rxjs',
            ].map((dependency) => [dependency, pin(dependency)]),
          ),
        },
      }),
    );
    writeFileSync(join(consumer, 'app.mjs'), CONSUMER_APP);
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      consumer,
    );
    // The transport packages are optional peers and stay out: every consumer app boots without them.
    for (const transport of ['graphql', 'apollo', 'mercurius', 'microservices', 'websockets']) {
      expect(existsSync(join(consumer, 'node_modules', '@nestjs', transport))).toBe(false);
    }
    expect(existsSync(join(consumer, 'node_modules', 'mercurius'))).toBe(false);
    return consumer;
  }

  /** Boots the consumer app on `platform`, sends one GET /hello and checks what /metrics counted. */
  async function bootAndScrape(consumer: string, platform: Platform): Promise<void> {
    // Kept in `app` too, so that afterAll stops it should a wait below never end.
    const child = await startChild(
      `consumer app on ${platform}`,
      process.execPath,
      ['app.mjs', platform],
      { cwd: consumer },
    );
    app = child;
    try {
      const [, port] = await child.waitForLine(/LISTENING (\d+)/, 60_000);
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/hello`)).json()).toEqual({ hello: 'world' });
      const scrape = async () => (await fetch(`${base}/metrics`)).text();
      // The response hook that records /hello may land just after the client has its answer; should
      // it never, the latest scrape is left for the assertions to show.
      const text = await pollUntil(
        `the consumer app on ${platform} to count /hello`,
        async () => {
          const current = await scrape();
          return valueOf(current, 'http_requests_total', { endpoint: '/hello' }) === 1
            ? current
            : undefined;
        },
        { attempts: 50, intervalMs: 0 },
      ).catch(scrape);
      expect(
        valueOf(text, 'http_requests_total', {
          method: 'GET',
          endpoint: '/hello',
          status_code: '200',
        }),
      ).toBe(1);
      expect(
        valueOf(text, 'database_operations_total', {
          operation: 'select',
          table: 'greetings',
          status: 'success',
        }),
      ).toBe(1);
      expect(valueOf(text, 'app_info', { name: 'consumer-app' })).toBe(1);
      expect(text).not.toContain('graphql_');
      // The page ships as compiled modules, so the packed library serves it byte for byte.
      const dashboard = await fetch(`${base}/metrics/custom/dashboard`);
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toBe(DASHBOARD_PAGE.body);
    } finally {
      await child.stop();
      app = undefined;
    }
  }

  describe('in an app with both platforms installed', () => {
    let consumer: string;
    beforeAll(() => {
      consumer = installConsumer('consumer-both', PLATFORMS);
    }, 180_000);

    it.each(PLATFORMS)(
      'boots on %s and serves http_requests_total',
      async (platform) => {
        await bootAndScrape(consumer, platform);
      },
      120_000,
    );
  });

  describe.each(PLATFORMS)('in an app with only the %s platform installed', (platform) => {
    const [other] = PLATFORMS.filter((candidate) => candidate !== platform);
    let consumer: string;
    beforeAll(() => {
      consumer = installConsumer(`consumer-${platform}-only`, [platform]);
    }, 180_000);

    it(`has neither ${PLATFORM_PACKAGES[other].nest} nor ${PLATFORM_PACKAGES[other].framework} installed`, () => {
      // The library lists both platforms as optional peers, so npm must not bring in the other one.
      expect(existsSync(join(consumer, 'node_modules', PLATFORM_PACKAGES[platform].nest))).toBe(
        true,
      );
      expect(existsSync(join(consumer, 'node_modules', PLATFORM_PACKAGES[other].nest))).toBe(false);
      expect(existsSync(join(consumer, 'node_modules', PLATFORM_PACKAGES[other].framework))).toBe(
        false,
      );
    });

    it(`boots on ${platform} and serves http_requests_total`, async () => {
      await bootAndScrape(consumer, platform);
    }, 120_000);
  });
});
