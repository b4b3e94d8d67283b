import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { HttpModule, HttpService } from '@nestjs/axios';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import axios from 'axios';
import http, { type IncomingMessage, type Server } from 'node:http';
import { firstValueFrom } from 'rxjs';
import {
  MetricsModule,
  MetricsOptionsError,
  MetricsService,
  type MetricsModuleOptions,
} from '../src/metrics/index.js';
import { resolveMetricsOptions } from '../src/metrics/options/resolve-options.js';
import { labelValues, samplesOf, sumOf, valueOf } from './support/exposition.js';
import { LOOPBACK, closeServer, freePort, listenOnLoopback } from './support/loopback.js';
import { FAST_POLL, pollUntil } from './support/poll.js';

const REQUESTS = 'http_client_requests_total';
const DURATION_COUNT = 'http_client_request_duration_seconds_count';
const ERRORS = 'http_client_errors_total';

/** An upstream with an answer for every way an outbound call can end. */
function createUpstream(): Server {
  return http.createServer((request, response) => {
    const url = request.url ?? '/';
    if (url.startsWith('/hang')) return;
    if (url.startsWith('/stream')) {
      response.write('x'.repeat(1024));
      const timer = setInterval(() => response.write('x'.repeat(1024)), 5);
      response.on('close', () => clearInterval(timer));
      return;
    }
    if (url.startsWith('/redirect')) {
      response.writeHead(302, { location: '/landed' }).end();
      return;
    }
    if (url.startsWith('/missing')) response.statusCode = 404;
    request.resume();
    response.end('ok');
  });
}

let upstream: Server;
let upstreamHost = '';
let base = '';

beforeAll(async () => {
  upstream = createUpstream();
  const port = await listenOnLoopback(upstream as never);
  upstreamHost = `${LOOPBACK}:${port}`;
  base = `http://${upstreamHost}`;
});

afterAll(async () => {
  upstream.closeAllConnections();
  await closeServer(upstream as never);
});

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function createApp(options: MetricsModuleOptions = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [MetricsModule.forRoot({ defaultMetrics: false, ...options }), HttpModule],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  const service = app.get(MetricsService);
  return {
    app,
    httpService: app.get(HttpService),
    scrape: async () => (await service.exposition()).text,
  };
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function requestError(url: string, options: http.RequestOptions = {}): Promise<Error> {
  return new Promise((resolve) => {
    const request = http.get(url, options, (response) => response.resume());
    request.on('timeout', () => request.destroy(new Error('no answer in time')));
    request.on('error', resolve);
  });
}

/** `http_client_errors_total` by error type. */
function errorCounts(text: string): Record<string, number> {
  return Object.fromEntries(
    samplesOf(text, ERRORS).map(({ labels, value }) => [labels.error_type, value]),
  );
}

describe('outbound HTTP client metrics', () => {
  it('counts and times calls from fetch, http.request, axios and HttpService by method, host and status', async () => {
    const { scrape, httpService } = await createApp();
    expect((await fetch(`${base}/items?token=secret`)).status).toBe(200);
    expect((await fetch(`${base}/missing/1`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect(await httpGet(`${base}/items/2?q=secret`)).toBe(200);
    expect((await axios.get(`${base}/items/3`)).status).toBe(200);
    expect((await axios.delete(`${base}/missing/2`, { validateStatus: () => true })).status).toBe(
      404,
    );
    expect((await firstValueFrom(httpService.get(`${base}/items/4`))).status).toBe(200);

    const text = await scrape();
    const host = upstreamHost;
    expect(samplesOf(text, REQUESTS).map(({ labels, value }) => ({ ...labels, value }))).toEqual(
      expect.arrayContaining([
        { method: 'GET', host, status_code: '200', value: 4 },
        { method: 'POST', host, status_code: '404', value: 1 },
        { method: 'DELETE', host, status_code: '404', value: 1 },
      ]),
    );
    expect(sumOf(text, REQUESTS)).toBe(6);
    expect(valueOf(text, DURATION_COUNT, { method: 'GET', host })).toBe(4);
    expect(valueOf(text, DURATION_COUNT, { method: 'POST', host })).toBe(1);
    expect(sumOf(text, ERRORS)).toBe(0);
    expect(text).not.toContain('secret');
    expect(text).not.toContain('/items');
    expect(text).not.toContain('/missing');
  });

  it('counts a refused connection once per client as status "error" with its error code', async () => {
    const { scrape, httpService } = await createApp();
    const closedPort = await freePort();
    const refused = `http://${LOOPBACK}:${closedPort}/x`;
    await expect(fetch(refused)).rejects.toThrow();
    expect((await requestError(refused)).message).toContain('ECONNREFUSED');
    await expect(axios.get(refused)).rejects.toThrow();
    await expect(firstValueFrom(httpService.get(refused))).rejects.toThrow();

    const text = await scrape();
    const host = `${LOOPBACK}:${closedPort}`;
    expect(valueOf(text, REQUESTS, { method: 'GET', host, status_code: 'error' })).toBe(4);
    expect(sumOf(text, REQUESTS)).toBe(4);
    expect(valueOf(text, ERRORS, { method: 'GET', host, error_type: 'ECONNREFUSED' })).toBe(4);
    expect(sumOf(text, ERRORS)).toBe(4);
    expect(valueOf(text, DURATION_COUNT, { method: 'GET', host })).toBe(4);
  });

  it('counts a failed name lookup as status "error" with ENOTFOUND, under the host asked for', async () => {
    const { scrape } = await createApp();
    // The lookup fails in-process: no resolver is asked, so no traffic leaves the machine.
    const error = await requestError('http://nowhere.invalid:8080/x', {
      lookup: (hostname, _options, callback) =>
        callback(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
          '',
          4,
        ),
    });
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
    const text = await scrape();
    const host = 'nowhere.invalid:8080';
    expect(valueOf(text, REQUESTS, { method: 'GET', host, status_code: 'error' })).toBe(1);
    expect(errorCounts(text)).toEqual({ ENOTFOUND: 1 });
    // Node reports no start for a lookup that fails at once, so the call has no duration to observe.
    expect(valueOf(text, DURATION_COUNT, { method: 'GET', host })).toBeUndefined();
  });

  it('counts each hop of a redirect the client follows as a call of its own', async () => {
    const { scrape } = await createApp();
    expect((await fetch(`${base}/redirect`)).status).toBe(200);
    expect((await axios.get(`${base}/redirect`)).status).toBe(200);
    const text = await scrape();
    expect(valueOf(text, REQUESTS, { status_code: '302' })).toBe(2);
    expect(valueOf(text, REQUESTS, { status_code: '200' })).toBe(2);
    expect(sumOf(text, REQUESTS)).toBe(4);
  });

  it('groups status codes by class with groupStatusCodes', async () => {
    const { scrape } = await createApp({ groupStatusCodes: true });
    await fetch(`${base}/a`);
    await fetch(`${base}/missing`);
    await httpGet(`${base}/missing`);
    const text = await scrape();
    expect(valueOf(text, REQUESTS, { status_code: '2xx' })).toBe(1);
    expect(valueOf(text, REQUESTS, { status_code: '4xx' })).toBe(2);
    expect(sumOf(text, REQUESTS)).toBe(3);
  });

  it('counts a timeout once per client, named by the error each client raises', async () => {
    const { scrape, httpService } = await createApp();
    await expect(fetch(`${base}/hang`, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    // A fresh socket: on a pooled keep-alive one Node reports the destroy as ECONNRESET instead.
    expect((await requestError(`${base}/hang`, { timeout: 50, agent: false })).message).toBe(
      'no answer in time',
    );
    await expect(axios.get(`${base}/hang`, { timeout: 50 })).rejects.toThrow('timeout');
    await expect(firstValueFrom(httpService.get(`${base}/hang`, { timeout: 50 }))).rejects.toThrow(
      'timeout',
    );

    const text = await scrape();
    const host = upstreamHost;
    expect(valueOf(text, REQUESTS, { method: 'GET', host, status_code: 'error' })).toBe(4);
    expect(sumOf(text, REQUESTS)).toBe(4);
    expect(errorCounts(text)).toEqual({ TimeoutError: 1, Error: 1, ECONNABORTED: 2 });
  });

  it('counts a streamed body the caller abandons once, with the status it got', async () => {
    const { scrape, httpService } = await createApp();
    const response = await fetch(`${base}/stream`);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${base}/stream`, (incoming: IncomingMessage) => {
          incoming.once('data', () => {
            incoming.destroy();
            resolve();
          });
        })
        .on('error', reject);
    });
    const axiosResponse = await axios.get(`${base}/stream`, { responseType: 'stream' });
    (axiosResponse.data as IncomingMessage).destroy();
    const nestResponse = await firstValueFrom(
      httpService.get(`${base}/stream`, { responseType: 'stream' }),
    );
    (nestResponse.data as IncomingMessage).destroy();

    // A busy machine can deliver the last call's events after the client has let go of it: wait for
    // all four, then for any late error events of the abandoned calls to land before counting.
    await pollUntil(
      'the four abandoned calls to be counted',
      async () => ((sumOf(await scrape(), REQUESTS) ?? 0) >= 4 ? true : undefined),
      FAST_POLL,
    ).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await scrape();
    expect(valueOf(text, REQUESTS, { method: 'GET', host: upstreamHost, status_code: '200' })).toBe(
      4,
    );
    expect(sumOf(text, REQUESTS)).toBe(4);
    expect(sumOf(text, ERRORS)).toBe(0);
  });

  it('counts a request aborted before any response, which Node reports with no error, once', async () => {
    const { scrape } = await createApp();
    const request = http.get(`${base}/hang`);
    request.on('error', () => undefined);
    await new Promise((resolve) => request.on('socket', resolve));
    request.abort();
    const text = await pollUntil(
      'the aborted call to be counted',
      async () => {
        const scraped = await scrape();
        return sumOf(scraped, REQUESTS) > 0 ? scraped : undefined;
      },
      FAST_POLL,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sumOf(await scrape(), REQUESTS)).toBe(1);
    expect(valueOf(text, ERRORS, { method: 'GET', host: upstreamHost })).toBe(1);
    expect(labelValues(text, ERRORS, 'error_type')).toHaveLength(1);
  });

  it('caps the host label at maxHosts, folding further peers into <other>', async () => {
    const { scrape } = await createApp({ httpClient: { maxHosts: 1 } });
    const other = createUpstream();
    const otherPort = await listenOnLoopback(other as never);
    try {
      await fetch(`${base}/a`);
      await fetch(`http://${LOOPBACK}:${otherPort}/b`);
      await fetch(`http://localhost:${otherPort}/c`);
      await fetch(`${base}/d`);
    } finally {
      other.closeAllConnections();
      await closeServer(other as never);
    }
    const text = await scrape();
    expect(valueOf(text, REQUESTS, { host: upstreamHost })).toBe(2);
    expect(valueOf(text, REQUESTS, { host: '<other>' })).toBe(2);
    expect(labelValues(text, REQUESTS, 'host').sort()).toEqual(['<other>', upstreamHost].sort());
  });

  it('labels only allowed hosts by name when given an allowlist', async () => {
    const port = upstreamHost.split(':')[1];
    const { scrape } = await createApp({
      httpClient: { allowedHosts: [`LOCALHOST:${port}`] },
    });
    await fetch(`http://localhost:${port}/a`);
    await httpGet(`http://localhost:${port}/b`);
    await fetch(`${base}/c`);
    const text = await scrape();
    expect(valueOf(text, REQUESTS, { host: `localhost:${port}` })).toBe(2);
    expect(valueOf(text, REQUESTS, { host: '<other>' })).toBe(1);
    expect(sumOf(text, REQUESTS)).toBe(3);
  });

  it('records nothing when turned off', async () => {
    const { scrape } = await createApp({ httpClient: false });
    await fetch(`${base}/a`);
    await httpGet(`${base}/b`);
    expect(samplesOf(await scrape(), REQUESTS)).toEqual([]);
  });

  it('stops at shutdown, so apps created again in one process count each call once', async () => {
    const first = await createApp();
    await fetch(`${base}/a`);
    await first.app.close();
    apps.splice(apps.indexOf(first.app), 1);
    const firstText = await first.scrape();

    const second = await createApp();
    const third = await createApp({ httpClient: false });
    await fetch(`${base}/b`);
    await httpGet(`${base}/c`);
    expect(sumOf(firstText, REQUESTS)).toBe(1);
    expect(sumOf(await first.scrape(), REQUESTS)).toBe(1);
    expect(sumOf(await second.scrape(), REQUESTS)).toBe(2);
    expect(sumOf(await third.scrape(), REQUESTS)).toBe(0);
  });

  it('leaves the pushes to the Pushgateway out', async () => {
    const pushes: string[] = [];
    const gateway = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        pushes.push(body);
        response.end();
      });
    });
    const gatewayPort = await listenOnLoopback(gateway as never);
    try {
      const { scrape, app } = await createApp({
        pushgateway: { url: `http://${LOOPBACK}:${gatewayPort}`, intervalMs: 10 },
      });
      await fetch(`${base}/a`);
      await pollUntil('two pushes', async () => (pushes.length >= 2 ? true : undefined), FAST_POLL);
      const text = await scrape();
      await app.close();
      apps.splice(apps.indexOf(app), 1);
      expect(labelValues(text, REQUESTS, 'host')).toEqual([upstreamHost]);
      expect(sumOf(text, REQUESTS)).toBe(1);
      const finalPush = pushes[pushes.length - 1];
      expect(labelValues(finalPush, REQUESTS, 'host')).toEqual([upstreamHost]);
      expect(sumOf(finalPush, REQUESTS)).toBe(1);
    } finally {
      await closeServer(gateway as never);
    }
  });
});

describe('httpClient option', () => {
  const invalid: Array<[unknown, string]> = [
    ['yes', 'httpClient'],
    [{ maxHost: 3 }, 'httpClient.maxHost'],
    [{ maxHosts: 0 }, 'httpClient.maxHosts'],
    [{ allowedHosts: 'api:443' }, 'httpClient.allowedHosts'],
    [{ allowedHosts: ['api.example.com'] }, 'httpClient.allowedHosts[0]'],
    [{ allowedHosts: ['http://api:443'] }, 'httpClient.allowedHosts[0]'],
  ];
  it.each(invalid)('rejects %p, naming %s', (httpClient, named) => {
    const options = { httpClient } as MetricsModuleOptions;
    expect(() => resolveMetricsOptions(options)).toThrow(MetricsOptionsError);
    expect(() => resolveMetricsOptions(options)).toThrow(`option "${named}"`);
  });
});
