import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, type Type } from '@nestjs/common';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Payload,
  ServerTCP,
  Transport,
  type ClientProxy,
  type CustomTransportStrategy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { Test } from '@nestjs/testing';
import { MetricsModule, MetricsService, type MetricsSummary } from '../src/metrics/index.js';
import { expectPromtoolClean } from './support/promtool-lint.js';
import { sumOf, valueOf } from './support/exposition.js';
import { freePort, listenAppOnLoopback, LOOPBACK } from './support/loopback.js';
import { FAST_POLL, pollUntil } from './support/poll.js';
import {
  findRedisServer,
  startRpcService,
  type RpcServiceProcess,
} from './fixtures/rpc-service-process.js';

const redisServer = findRedisServer();

/**
 * A standalone microservice of `module` listening on a free loopback port, over TCP or through the
 * strategy `server` makes, and a TCP client of it.
 */
async function startStandalone(
  module: Type,
  server?: (options: { host: string; port: number }) => CustomTransportStrategy,
) {
  const port = await freePort();
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const microservice = moduleRef.createNestMicroservice<MicroserviceOptions>(
    server
      ? { strategy: server({ host: LOOPBACK, port }), logger: false }
      : { transport: Transport.TCP, options: { host: LOOPBACK, port }, logger: false },
  );
  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: LOOPBACK, port },
  });
  const close = async () => {
    await client.close();
    await microservice.close();
  };
  try {
    await microservice.listen();
  } catch (error) {
    await close();
    throw error;
  }
  return { microservice, client, close };
}
const redisBinary = redisServer.binary;

describe('microservice handlers measured between two real processes', () => {
  let service: RpcServiceProcess | undefined;
  let baseUrl = '';
  let tcpClient: ClientProxy;
  let redisClient: ClientProxy | undefined;
  let tcpPort = 0;

  beforeAll(async () => {
    service = await startRpcService(redisBinary);
    ({ baseUrl, tcpPort } = service);
    tcpClient = await service.connectClient('tcp');
    if (service.redisPort !== undefined) redisClient = await service.connectClient('redis');
  }, 60_000);

  afterAll(async () => {
    await tcpClient?.close();
    await redisClient?.close();
    await service?.stop();
  });

  const running = () => {
    if (!service) throw new Error('the rpc service did not start');
    return service;
  };
  const scrape = () => running().scrape();
  const scrapeUntil = (ready: (text: string) => boolean) => running().scrapeUntil(ready);
  const send = <T>(client: ClientProxy, pattern: unknown, data: unknown) =>
    firstValueFrom(client.send<T>(pattern, data));
  const rpc = (labels: Record<string, string>) =>
    valueOf(lastScrape, 'rpc_messages_total', { transport: 'tcp', ...labels });
  let lastScrape = '';

  it('counts messages by pattern and outcome, with the class of each exception', async () => {
    await expect(send(tcpClient, 'sum', [1, 2, 3])).resolves.toBe(6);
    await expect(send(tcpClient, 'sum', [4])).resolves.toBe(4);
    // The keys in another order than the handler declares them: one stable label all the same.
    await expect(send(tcpClient, { cmd: 'greet', role: 'user' }, 'ada')).resolves.toBe('hello ada');
    await expect(send(tcpClient, 'reject', {})).rejects.toMatchObject({ message: 'rejected' });
    await expect(send(tcpClient, 'crash', {})).rejects.toBeDefined();
    await expect(send(tcpClient, 'no-such-pattern', {})).rejects.toBeDefined();

    lastScrape = await scrape();
    expect(rpc({ pattern: 'sum', kind: 'message', status: 'success' })).toBe(2);
    expect(rpc({ pattern: 'sum', kind: 'message', status: 'error' })).toBeUndefined();
    expect(rpc({ pattern: '{"cmd":"greet","role":"user"}', kind: 'message' })).toBe(1);
    expect(rpc({ pattern: 'reject', kind: 'message', status: 'error' })).toBe(1);
    expect(rpc({ pattern: 'crash', kind: 'message', status: 'error' })).toBe(1);
    expect(rpc({ pattern: '<unmatched>', kind: 'message', status: 'error' })).toBe(1);
    // Timed too, from its arrival to the error reply: the counts of both metrics agree.
    expect(
      valueOf(lastScrape, 'rpc_message_duration_seconds_count', {
        transport: 'tcp',
        pattern: '<unmatched>',
        kind: 'message',
      }),
    ).toBe(1);
    expect(
      valueOf(lastScrape, 'rpc_message_duration_seconds_count', {
        transport: 'tcp',
        pattern: 'sum',
        kind: 'message',
      }),
    ).toBe(2);
    const exceptions = (pattern: string, type: string) =>
      valueOf(lastScrape, 'rpc_exceptions_total', {
        transport: 'tcp',
        pattern,
        exception_type: type,
      });
    expect(exceptions('reject', 'RpcException')).toBe(1);
    expect(exceptions('crash', 'LedgerClosedError')).toBe(1);
  });

  it('counts events, and the decorators record inside their handlers', async () => {
    tcpClient.emit('audit', 'ok');
    tcpClient.emit('audit', 'bad');
    tcpClient.emit('ghost', 1);
    lastScrape = await scrapeUntil(
      (text) =>
        valueOf(text, 'rpc_messages_total', { pattern: '<unmatched>', kind: 'event' }) === 1 &&
        (valueOf(text, 'rpc_messages_total', { pattern: 'audit', status: 'error' }) ?? 0) >= 1,
    );
    expect(rpc({ pattern: 'audit', kind: 'event', status: 'success' })).toBe(1);
    expect(rpc({ pattern: 'audit', kind: 'event', status: 'error' })).toBe(1);
    expect(rpc({ pattern: '<unmatched>', kind: 'event', status: 'error' })).toBe(1);
    expect(
      valueOf(lastScrape, 'rpc_message_duration_seconds_count', {
        transport: 'tcp',
        pattern: '<unmatched>',
        kind: 'event',
      }),
    ).toBe(1);
    expect(
      valueOf(lastScrape, 'rpc_exceptions_total', {
        transport: 'tcp',
        pattern: 'audit',
        exception_type: 'LedgerClosedError',
      }),
    ).toBe(1);
    const db = (status: string) =>
      valueOf(lastScrape, 'database_operations_total', {
        operation: 'insert',
        table: 'audit_log',
        status,
      });
    expect(db('success')).toBe(1);
    expect(db('error')).toBe(1);
  });

  it('shows HTTP and RPC metrics of the hybrid app on one /metrics', async () => {
    await request(baseUrl).get('/ping').expect(200, 'pong');
    lastScrape = await scrape();
    expect(
      valueOf(lastScrape, 'http_requests_total', {
        method: 'GET',
        endpoint: '/ping',
        status_code: '200',
      }),
    ).toBe(1);
    expect(rpc({ pattern: 'sum', kind: 'message', status: 'success' })).toBe(2);
    expectPromtoolClean(lastScrape);
    await request(baseUrl)
      .get('/metrics')
      .set('Accept', 'application/openmetrics-text; version=1.0.0')
      .expect(200);

    const { rpc: summary, websockets } = (await request(baseUrl).get('/metrics/custom').expect(200))
      .body as MetricsSummary;
    expect(websockets).toBeUndefined();
    expect(summary?.server.messages_total).toBe(sumOf(lastScrape, 'rpc_messages_total'));
    expect(summary?.server.errors_total).toBe(
      sumOf(lastScrape, 'rpc_messages_total', { status: 'error' }),
    );
    // sum ×2, greet, reject, crash, one unmatched message; audit ×2, one unmatched event.
    expect(summary?.server.messages_total).toBe(9);
    expect(summary?.server.by_handler).toContainEqual({
      transport: 'tcp',
      pattern: 'audit',
      kind: 'event',
      count: 2,
      errors: 1,
    });
    expect(summary?.client).toEqual({ messages_total: 0, errors_total: 0, by_handler: [] });
  });

  (redisBinary ? it : it.skip)('measures the same handlers over Redis', async () => {
    if (!redisClient) throw new Error('no Redis client');
    await expect(send(redisClient, 'sum', [2, 2])).resolves.toBe(4);
    await expect(send(redisClient, 'reject', {})).rejects.toMatchObject({ message: 'rejected' });
    redisClient.emit('audit', 'ok');
    lastScrape = await scrapeUntil(
      (text) => valueOf(text, 'rpc_messages_total', { transport: 'redis', pattern: 'audit' }) === 1,
    );
    const redisRpc = (labels: Record<string, string>) =>
      valueOf(lastScrape, 'rpc_messages_total', { transport: 'redis', ...labels });
    expect(redisRpc({ pattern: 'sum', kind: 'message', status: 'success' })).toBe(1);
    expect(redisRpc({ pattern: 'reject', kind: 'message', status: 'error' })).toBe(1);
    expect(redisRpc({ pattern: 'audit', kind: 'event', status: 'success' })).toBe(1);
    expect(rpc({ pattern: 'sum', kind: 'message', status: 'success' })).toBe(2);
  });

  it('measures what a ClientProxy sends and emits in an app with the module', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ appName: 'rpc-client' })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: LOOPBACK, port: tcpPort },
    });
    try {
      const clientUrl = await listenAppOnLoopback(app);
      await expect(send(client, 'sum', [5, 5])).resolves.toBe(10);
      await expect(send(client, 'reject', {})).rejects.toMatchObject({ message: 'rejected' });
      await expect(send(client, 'no-such-pattern', {})).rejects.toBeDefined();
      await expect(
        firstValueFrom(client.emit('audit', 'ok'), { defaultValue: undefined }),
      ).resolves.toBeUndefined();
      const text = (await request(clientUrl).get('/metrics').expect(200)).text;
      const sent = (labels: Record<string, string>) =>
        valueOf(text, 'rpc_client_messages_total', { transport: 'tcp', ...labels });
      expect(sent({ pattern: 'sum', kind: 'message', status: 'success' })).toBe(1);
      expect(sent({ pattern: 'reject', kind: 'message', status: 'error' })).toBe(1);
      expect(sent({ pattern: 'no-such-pattern', kind: 'message', status: 'error' })).toBe(1);
      expect(sent({ pattern: 'audit', kind: 'event', status: 'success' })).toBe(1);
      expect(
        valueOf(text, 'rpc_client_message_duration_seconds_count', {
          transport: 'tcp',
          pattern: 'sum',
          kind: 'message',
        }),
      ).toBe(1);
      // The client app serves no handlers, so it has no server-side RPC series.
      expect(text).not.toContain('rpc_messages_total');
    } finally {
      await client.close();
      await app.close();
    }
  });

  it('measures a standalone microservice too, with its patterns under the series cap', async () => {
    @Controller()
    class Letters {
      @MessagePattern('a')
      a(): string {
        return 'a';
      }

      @MessagePattern('b')
      b(): string {
        return 'b';
      }

      @MessagePattern('c')
      c(): string {
        return 'c';
      }

      @EventPattern('tick')
      first(@Payload() _tick: unknown): void {
        ticks.push('first');
      }

      @EventPattern('tick')
      second(@Payload() _tick: unknown): void {
        ticks.push('second');
      }
    }
    const ticks: string[] = [];
    @Module({
      imports: [MetricsModule.forRoot({ maxSeriesPerMetric: 3 })],
      controllers: [Letters],
    })
    class LettersModule {}
    const { microservice, client, close } = await startStandalone(LettersModule);
    try {
      // Both handlers of one event pattern still run, and each run counts.
      client.emit('tick', {});
      await pollUntil(
        'both tick handlers',
        async () => (ticks.length === 2 ? true : undefined),
        FAST_POLL,
      );
      expect(ticks.sort()).toEqual(['first', 'second']);
      // With the tick's series first, a and b fill the cap of 3; c is dropped.
      for (const letter of ['a', 'b', 'c', 'c']) {
        await expect(send(client, letter, {})).resolves.toBe(letter);
      }
      const { text } = await microservice.get(MetricsService).exposition();
      const served = (pattern: string) =>
        valueOf(text, 'rpc_messages_total', { transport: 'tcp', pattern, status: 'success' });
      expect([served('a'), served('b'), served('c')]).toEqual([1, 1, undefined]);
      expect(
        valueOf(text, 'rpc_messages_total', { pattern: 'tick', kind: 'event', status: 'success' }),
      ).toBe(2);
      expect(valueOf(text, 'metrics_series_dropped_total', { metric: 'rpc_messages_total' })).toBe(
        2,
      );
      expect(
        valueOf(text, 'metrics_series_dropped_total', { metric: 'rpc_message_duration_seconds' }),
      ).toBe(2);
    } finally {
      await close();
    }
  });

  it('counts what a strategy of its own routes after the exact lookup under its handler, not <unmatched>', async () => {
    /** Like ServerKafka with RegExp patterns: when the exact lookup misses, a handler by prefix. */
    class PrefixServer extends ServerTCP {
      override getHandlerByPattern(pattern: string) {
        const exact = super.getHandlerByPattern(pattern);
        if (exact) return exact;
        const prefix = ['shelf.', 'audit.'].find((candidate) => pattern.startsWith(candidate));
        return prefix ? super.getHandlerByPattern(`${prefix}*`) : null;
      }
    }
    const audits: unknown[] = [];
    @Controller()
    class Prefixed {
      @MessagePattern('shelf.*')
      shelf(@Payload() book: string): string {
        return `shelved ${book}`;
      }

      @EventPattern('audit.*')
      audit(@Payload() entry: unknown): void {
        audits.push(entry);
      }
    }
    @Module({ imports: [MetricsModule.forRoot()], controllers: [Prefixed] })
    class PrefixedModule {}
    const { microservice, client, close } = await startStandalone(
      PrefixedModule,
      (options) => new PrefixServer(options),
    );
    try {
      await expect(send(client, 'shelf.read', 'Dune')).resolves.toBe('shelved Dune');
      await expect(send(client, 'shelf.write', 'Emma')).resolves.toBe('shelved Emma');
      await expect(send(client, 'nope', {})).rejects.toBeDefined();
      client.emit('audit.login', 'ada');
      client.emit('ghost', {});
      const metrics = microservice.get(MetricsService);
      const text = await pollUntil(
        'both events',
        async () => {
          const current = (await metrics.exposition()).text;
          return valueOf(current, 'rpc_messages_total', { pattern: '<unmatched>', kind: 'event' })
            ? current
            : undefined;
        },
        FAST_POLL,
      );
      const counted = (pattern: string, kind: string) =>
        valueOf(text, 'rpc_messages_total', { transport: 'tcp', pattern, kind, status: 'error' }) ??
        valueOf(text, 'rpc_messages_total', { transport: 'tcp', pattern, kind, status: 'success' });
      expect(audits).toEqual(['ada']);
      expect(counted('shelf.*', 'message')).toBe(2);
      expect(counted('audit.*', 'event')).toBe(1);
      expect(counted('<unmatched>', 'message')).toBe(1);
      expect(counted('<unmatched>', 'event')).toBe(1);
      expect(sumOf(text, 'rpc_messages_total')).toBe(5);
    } finally {
      await close();
    }
  });

  it('measures a hybrid app that inherits the app config (inheritAppConfig)', async () => {
    @Controller()
    class Echo {
      @MessagePattern('echo')
      echo(@Payload() value: unknown): unknown {
        return value;
      }
    }
    @Module({ imports: [MetricsModule.forRoot()], controllers: [Echo] })
    class EchoModule {}
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({ imports: [EchoModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.connectMicroservice<MicroserviceOptions>(
      { transport: Transport.TCP, options: { host: LOOPBACK, port } },
      { inheritAppConfig: true },
    );
    const client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: LOOPBACK, port },
    });
    try {
      await app.startAllMicroservices();
      const url = await listenAppOnLoopback(app);
      await expect(send(client, 'echo', 7)).resolves.toBe(7);
      const text = (await request(url).get('/metrics').expect(200)).text;
      expect(
        valueOf(text, 'rpc_messages_total', {
          transport: 'tcp',
          pattern: 'echo',
          kind: 'message',
          status: 'success',
        }),
      ).toBe(1);
    } finally {
      await client.close();
      await app.close();
    }
  });

  if (redisServer.missingUnderCi) {
    it('requires redis-server under CI', () => {
      throw redisServer.missingUnderCi;
    });
  }
});
