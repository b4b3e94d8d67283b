/**
 * Hostile and malformed input on the non-HTTP transports (the HTTP side is in bad-input.e2e-spec.ts):
 * whatever clients send, the app answers as before, no client text reaches a label, the series stay
 * bounded, and every count is exact.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { createClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import { connect, type Socket as TcpSocket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import {
  MAX_OPERATION_NAME_LENGTH,
  MAX_PATTERN_LENGTH,
  MetricsModule,
} from '../src/metrics/index.js';
import { createGraphqlFixture, type GraphqlFixture } from './fixtures/graphql-app.js';
import {
  findRedisServer,
  startRpcService,
  type RpcServiceProcess,
} from './fixtures/rpc-service-process.js';
import {
  IoNotesGateway,
  metricsOf,
  openIoClient,
  openWsClient,
  startApp,
  WsNotesGateway,
} from './fixtures/websocket-app.js';
import { labelValues, samplesOf, sumOf, valueOf } from './support/exposition.js';
import { listenAppOnLoopback, LOOPBACK } from './support/loopback.js';
import request from 'supertest';
import { FAST_POLL, pollUntil } from './support/poll.js';

/** Every value a client sends carries this, so any of it reaching a label is easy to spot. */
const MARK = 'zq7mark';
/** 100 kB of client text in a name, a pattern or an event. */
const HUGE_LENGTH = 100_000;
const huge = (filler: string) => `${MARK}${filler.repeat(HUGE_LENGTH - MARK.length)}`;
const UNMATCHED = '<unmatched>';
const DROPPED = 'metrics_series_dropped_total';
/** What Nest's TCP transport replies to a message no handler matches. */
const NO_HANDLER = 'There is no matching message handler defined in the remote service.';

describe('GraphQL operations from hostile clients', () => {
  const OPERATIONS = 'graphql_operations_total';
  const DURATION_COUNT = 'graphql_operation_duration_seconds_count';
  let fixture: GraphqlFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  /** The response `close` event, which ends the HTTP count, lands a tick after the client has the body. */
  const scrapeWhen = (f: GraphqlFixture, httpRequests: number) =>
    pollUntil(
      'every HTTP response to be counted',
      async () => {
        const text = await f.scrape();
        return sumOf(text, 'http_requests_total') === httpRequests ? text : undefined;
      },
      FAST_POLL,
    );

  it('cuts a 100 kB operation name to one bounded label in every outcome, and answers as before', async () => {
    const f = (fixture = await createGraphqlFixture());
    const name = huge('x');
    const cut = `${name.slice(0, MAX_OPERATION_NAME_LENGTH)}…`;
    const answered = await f.post({ query: `query ${name} { books { id } }` }).expect(200);
    expect(answered.body).toEqual({ data: { books: [{ id: 1 }, { id: 2 }] } });
    await f.post({ query: `query ${name} { emptyShelf { id } }` }).expect(200);
    await f.post({ query: `query ${name} { nope }` }).expect(400);
    await f.post({ query: `mutation ${name} { addBook(title: "x") { id } }` }).expect(200);
    // A name the document does not hold selects no operation.
    await f.post({ query: 'query Shelf { books { id } }', operationName: name }).expect(400);
    // 300 names that differ only past the cut are one label.
    const longNames = Array.from({ length: 300 }, (_, i) => ({
      query: `query ${name.slice(0, 200)}${i} { books { id } }`,
    }));
    expect((await f.post(longNames).expect(200)).body).toHaveLength(longNames.length);

    const text = await scrapeWhen(f, 6);
    const operation = (type: string, operationName: string, status: string) =>
      valueOf(text, OPERATIONS, { operation_type: type, operation_name: operationName, status });
    expect(operation('query', cut, 'success')).toBe(1 + longNames.length);
    expect(operation('query', cut, 'error')).toBe(2);
    expect(operation('mutation', cut, 'success')).toBe(1);
    expect(operation('<invalid>', '<invalid>', 'error')).toBe(1);
    expect(samplesOf(text, OPERATIONS)).toHaveLength(4);
    expect(sumOf(text, DURATION_COUNT)).toBe(sumOf(text, OPERATIONS));
    expect(samplesOf(text, 'graphql_exceptions_total')).toEqual([
      expect.objectContaining({
        labels: {
          exception_type: 'ShelfEmptyError',
          operation_type: 'query',
          operation_name: cut,
        },
        value: 1,
      }),
    ]);
    expect(labelValues(text, 'http_requests_total', 'endpoint')).toEqual(['/graphql']);
    expect(text).not.toContain(name.slice(0, MAX_OPERATION_NAME_LENGTH + 1));
  });

  it('counts no operation for a request Apollo refuses before it starts one, and answers each with 400', async () => {
    const f = (fixture = await createGraphqlFixture());
    const refused = [
      { query: 42 },
      {},
      [],
      [null, 1],
      { query: '{ books { id } }', variables: MARK },
      { query: '{ books { id } }', operationName: 42 },
      { query: '{ books { id } }', extensions: 7 },
    ];
    for (const body of refused) {
      const response = await f.post(body).expect(400);
      expect(JSON.stringify(response.body)).toContain('BAD_REQUEST');
    }
    // Not JSON: the body parser refuses it before Apollo's middleware (see README on such bodies).
    await f.post(`{ ${MARK}`).expect(400);
    // 2,000 aliased fields are one operation.
    const aliases = Array.from({ length: 2000 }, (_, i) => `${MARK}${i}: books { id }`).join(' ');
    expect(
      Object.keys((await f.post({ query: `{ ${aliases} }` }).expect(200)).body.data),
    ).toHaveLength(2000);

    const text = await scrapeWhen(f, refused.length + 2);
    expect(samplesOf(text, OPERATIONS)).toEqual([
      expect.objectContaining({
        labels: { operation_type: 'query', operation_name: '<anonymous>', status: 'success' },
        value: 1,
      }),
    ]);
    const requests = (endpoint: string, status: string) =>
      valueOf(text, 'http_requests_total', { method: 'POST', endpoint, status_code: status });
    expect(requests('/graphql', '400')).toBe(refused.length);
    expect(requests('<unmatched>', '400')).toBe(1);
    expect(requests('/graphql', '200')).toBe(1);
    expect(text).not.toContain(MARK);
  });

  it('over graphql-ws: counts no malformed message, and cuts a 100 kB operation name', async () => {
    const f = (fixture = await createGraphqlFixture({
      graphql: { subscriptions: { 'graphql-ws': true } },
    }));
    const url = `${(await listenAppOnLoopback(f.app)).replace('http', 'ws')}/graphql`;
    // graphql-ws closes the connection: 4400 for a message that is not JSON, 4401 for a subscribe
    // before connection_init.
    await expect(closeCodeAfter(url, `${MARK} not json`)).resolves.toBe(4400);
    const subscribe = { id: '1', type: 'subscribe', payload: { query: '{ books { id } }' } };
    await expect(closeCodeAfter(url, JSON.stringify(subscribe))).resolves.toBe(4401);

    const name = huge('x');
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      for (const query of [
        `subscription ${name} { shelfTour { id } }`,
        `subscription ${name} { nope }`,
      ]) {
        await new Promise<void>((resolve) => {
          client.subscribe(
            { query },
            { next: () => undefined, error: () => resolve(), complete: resolve },
          );
        });
      }
    } finally {
      await client.dispose();
    }
    const text = await pollUntil(
      'both operations to be counted',
      async () => {
        const current = await f.scrape();
        return sumOf(current, OPERATIONS) === 2 ? current : undefined;
      },
      FAST_POLL,
    );
    const cut = `${name.slice(0, MAX_OPERATION_NAME_LENGTH)}…`;
    const subscription = (status: string) =>
      valueOf(text, OPERATIONS, { operation_type: 'subscription', operation_name: cut, status });
    expect(subscription('success')).toBe(1);
    expect(subscription('error')).toBe(1);
    expect(samplesOf(text, OPERATIONS)).toHaveLength(2);
    expect(text).not.toContain(name.slice(0, MAX_OPERATION_NAME_LENGTH + 1));
  });

  it('holds 5,000 distinct operation names to maxSeriesPerMetric and counts every one it drops', async () => {
    // Operation names are not mapped to <other>: each distinct name is a label set, and the series
    // cap admits the first `cap` of them and drops (and counts) the observations of the rest.
    const cap = 50;
    const f = (fixture = await createGraphqlFixture({ metrics: { maxSeriesPerMetric: cap } }));
    const names = Array.from({ length: 5000 }, (_, i) => `${MARK}${i}`);
    const batchSize = 500;
    for (let start = 0; start < names.length; start += batchSize) {
      const batch = names
        .slice(start, start + batchSize)
        .map((name) => ({ query: `query ${name} { books { id } }` }));
      expect((await f.post(batch).expect(200)).body).toHaveLength(batch.length);
    }
    const text = await scrapeWhen(f, names.length / batchSize);
    expect(samplesOf(text, OPERATIONS)).toHaveLength(cap);
    expect(
      samplesOf(text, OPERATIONS, { operation_type: 'query', status: 'success' }),
    ).toHaveLength(cap);
    expect(sumOf(text, OPERATIONS)).toBe(cap);
    expect(samplesOf(text, DURATION_COUNT)).toHaveLength(cap);
    expect(valueOf(text, DROPPED, { metric: OPERATIONS })).toBe(names.length - cap);
    expect(valueOf(text, DROPPED, { metric: 'graphql_operation_duration_seconds' })).toBe(
      names.length - cap,
    );
    // The HTTP side is untouched: one endpoint, one series.
    expect(samplesOf(text, 'http_requests_total')).toHaveLength(1);
    expect(valueOf(text, DROPPED, { metric: 'http_requests_total' })).toBeUndefined();
  });
});

const redisServer = findRedisServer();

describe('microservice messages from hostile clients, between two real processes', () => {
  const MESSAGES = 'rpc_messages_total';
  const DURATION_COUNT = 'rpc_message_duration_seconds_count';
  const UNKNOWN_EVENTS = 1000;
  let service: RpcServiceProcess | undefined;
  let client: ClientProxy;

  beforeAll(async () => {
    service = await startRpcService(redisServer.binary);
    client = await service.connectClient('tcp');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await service?.stop();
  });

  const running = () => {
    if (!service) throw new Error('the rpc service did not start');
    return service;
  };
  const send = (pattern: unknown, data: unknown) => firstValueFrom(client.send(pattern, data));
  const scrapeUntil = (ready: (text: string) => boolean) => running().scrapeUntil(ready);
  const count = (text: string, labels: Record<string, string>) =>
    valueOf(text, MESSAGES, { transport: 'tcp', ...labels });
  const timed = (text: string, labels: Record<string, string>) =>
    valueOf(text, DURATION_COUNT, { transport: 'tcp', ...labels });

  it('counts and times every unknown pattern in one <unmatched> series, whatever its size or shape', async () => {
    const patterns: unknown[] = [
      'no-such-pattern',
      huge('p'),
      { cmd: huge('c') },
      { a: { b: [1, { c: MARK }] } },
      42,
      '',
      'SUM',
      'sum\n',
      // Part of a real object pattern's keys, and a real one with a key more.
      { cmd: 'greet' },
      { role: 'user', cmd: 'greet', extra: MARK },
    ];
    for (const pattern of patterns) {
      await expect(send(pattern, {})).rejects.toBe(NO_HANDLER);
    }
    for (let i = 0; i < UNKNOWN_EVENTS; i++) client.emit({ [MARK]: i }, {});
    client.emit(huge('e'), {});
    await expect(send('sum', [1, 2])).resolves.toBe(3);

    const text = await scrapeUntil(
      (current) =>
        valueOf(current, MESSAGES, { pattern: UNMATCHED, kind: 'event' }) === UNKNOWN_EVENTS + 1,
    );
    const unmatched = { pattern: UNMATCHED, kind: 'message' };
    expect(count(text, { ...unmatched, status: 'error' })).toBe(patterns.length);
    expect(timed(text, unmatched)).toBe(patterns.length);
    expect(timed(text, { pattern: UNMATCHED, kind: 'event' })).toBe(UNKNOWN_EVENTS + 1);
    expect(count(text, { pattern: 'sum', kind: 'message', status: 'success' })).toBe(1);
    expect(labelValues(text, MESSAGES, 'pattern')).toEqual([UNMATCHED, 'sum']);
    expect(samplesOf(text, DROPPED).filter((s) => s.labels.metric?.startsWith('rpc_'))).toEqual([]);
    expect(text).not.toContain(MARK);
  });

  it('keeps serving through malformed TCP frames, with exact counts', async () => {
    const before = await running().scrape();
    const unmatchedBefore = count(before, { pattern: UNMATCHED, kind: 'message' }) ?? 0;
    const eventsBefore = count(before, { pattern: UNMATCHED, kind: 'event' }) ?? 0;
    const sumErrorsBefore = count(before, { pattern: 'sum', status: 'error' }) ?? 0;

    // Frames the transport cannot decode: it drops the connection, and no handler runs.
    for (const frame of ['abc#{}', '5#xxxxx', '17#{"not":"closed"\n5#xx', `3#${MARK}`]) {
      await expect(writeFrames(running().tcpPort, [frame])).resolves.toBe('closed');
    }
    // A pattern nested too deeply to serialize is an unknown pattern like any other.
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const frames = [
      packet({ pattern: 'sum', data: 'not numbers', id: 'bad-data' }),
      `{"pattern":${deep},"data":1,"id":"too-deep"}`,
      packet({ pattern: { [MARK]: huge('k') }, data: 1, id: 'huge-key' }),
    ];
    const replies = await writeFrames(running().tcpPort, frames.map(frame), 3);
    const byId = new Map((replies as Array<{ id: string }>).map((reply) => [reply.id, reply]));
    expect(byId.get('bad-data')).toEqual({
      id: 'bad-data',
      err: { status: 'error', message: 'Internal server error' },
      isDisposed: true,
    });
    expect(byId.get('too-deep')).toEqual({ id: 'too-deep', status: 'error', err: NO_HANDLER });
    expect(byId.get('huge-key')).toEqual({ id: 'huge-key', status: 'error', err: NO_HANDLER });
    await expect(send('sum', [2, 2])).resolves.toBe(4);

    const text = await running().scrape();
    expect(count(text, { pattern: UNMATCHED, kind: 'message' })).toBe(unmatchedBefore + 2);
    expect(count(text, { pattern: UNMATCHED, kind: 'event' })).toBe(eventsBefore);
    expect(count(text, { pattern: 'sum', status: 'error' })).toBe(sumErrorsBefore + 1);
    expect(
      valueOf(text, 'rpc_exceptions_total', {
        transport: 'tcp',
        pattern: 'sum',
        exception_type: 'TypeError',
      }),
    ).toBe(1);
    expect(sumOf(text, DURATION_COUNT)).toBe(sumOf(text, MESSAGES));
    expect(text).not.toContain(MARK);
  });

  (redisServer.binary ? it : it.skip)(
    'treats payloads published to Redis that are not JSON as Nest does, with exact counts',
    async () => {
      const redis = new Redis({ host: LOOPBACK, port: running().redisPort, lazyConnect: true });
      await redis.connect();
      try {
        // Nest hands a payload that is not JSON to the channel's handler as the event's data.
        expect(await redis.publish('audit', `${MARK} not json`)).toBe(1);
        expect(await redis.publish('audit', '{"pattern":')).toBe(1);
        // The message handler of `sum` gets it as an event too, and fails on a string.
        expect(await redis.publish('sum', `${MARK}%%%`)).toBe(1);
        // Nobody listens on a channel without a handler.
        expect(await redis.publish(`${MARK}-ghost`, '{}')).toBe(0);
      } finally {
        redis.disconnect();
      }
      const text = await scrapeUntil(
        (current) =>
          valueOf(current, MESSAGES, { transport: 'redis', pattern: 'audit' }) === 2 &&
          valueOf(current, MESSAGES, { transport: 'redis', pattern: 'sum' }) === 1,
      );
      const redisCount = (labels: Record<string, string>) =>
        valueOf(text, MESSAGES, { transport: 'redis', ...labels });
      expect(redisCount({ pattern: 'audit', kind: 'event', status: 'success' })).toBe(2);
      expect(redisCount({ pattern: 'sum', kind: 'message', status: 'error' })).toBe(1);
      expect(labelValues(text, MESSAGES, 'pattern')).toEqual([UNMATCHED, 'sum', 'audit'].sort());
      expect(sumOf(text, DURATION_COUNT)).toBe(sumOf(text, MESSAGES));
      expect(text).not.toContain(MARK);
    },
  );

  // Last: it adds the object pattern's handler to the server's labels, which the Redis case lists.
  it('on the client side: cuts huge patterns to one bounded label, and holds distinct ones to maxSeriesPerMetric', async () => {
    const SENT = 'rpc_client_messages_total';
    const SENT_COUNT = 'rpc_client_message_duration_seconds_count';
    const cap = 6;
    const moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ maxSeriesPerMetric: cap })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const sender = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: LOOPBACK, port: running().tcpPort },
    });
    const dispatch = (pattern: unknown) =>
      firstValueFrom(sender.emit(pattern, {}), { defaultValue: undefined });
    try {
      const url = await listenAppOnLoopback(app);
      const hugeString = huge('p');
      const hugeObject = { cmd: huge('c') };
      await expect(firstValueFrom(sender.send(hugeString, {}))).rejects.toBe(NO_HANDLER);
      await expect(firstValueFrom(sender.send(hugeObject, {}))).rejects.toBe(NO_HANDLER);
      // An object pattern is one label whatever order the app writes its keys in.
      await expect(firstValueFrom(sender.send({ role: 'user', cmd: 'greet' }, 'a'))).resolves.toBe(
        'hello a',
      );
      await expect(firstValueFrom(sender.send({ cmd: 'greet', role: 'user' }, 'b'))).resolves.toBe(
        'hello b',
      );
      // 300 patterns that differ only past the cut are one label.
      const longPatterns = 300;
      for (let i = 0; i < longPatterns; i++) await dispatch(`${hugeString.slice(0, 200)}${i}`);
      // Past the cap, every new pattern is dropped and counted.
      const distinct = 1000;
      for (let i = 0; i < distinct; i++) await dispatch(`${MARK}${i}`);

      const text = (await request(url).get('/metrics').expect(200)).text;
      const stringCut = `${hugeString.slice(0, MAX_PATTERN_LENGTH)}…`;
      const objectCut = `${`{"cmd":"${hugeObject.cmd}"}`.slice(0, MAX_PATTERN_LENGTH)}…`;
      const greet = '{"cmd":"greet","role":"user"}';
      const sent = (pattern: string, kind: string, status: string) =>
        valueOf(text, SENT, { transport: 'tcp', pattern, kind, status });
      expect(sent(stringCut, 'message', 'error')).toBe(1);
      expect(sent(objectCut, 'message', 'error')).toBe(1);
      expect(sent(greet, 'message', 'success')).toBe(2);
      expect(sent(stringCut, 'event', 'success')).toBe(longPatterns);
      // The four series above leave room for the first two distinct patterns only.
      expect(sent(`${MARK}0`, 'event', 'success')).toBe(1);
      expect(sent(`${MARK}1`, 'event', 'success')).toBe(1);
      expect(labelValues(text, SENT, 'pattern')).toEqual(
        [stringCut, objectCut, greet, `${MARK}0`, `${MARK}1`].sort(),
      );
      expect(samplesOf(text, SENT)).toHaveLength(cap);
      expect(samplesOf(text, SENT_COUNT)).toHaveLength(cap);
      expect(sumOf(text, SENT)).toBe(4 + longPatterns + 2);
      expect(sumOf(text, SENT_COUNT)).toBe(sumOf(text, SENT));
      expect(valueOf(text, DROPPED, { metric: SENT })).toBe(distinct - 2);
      expect(valueOf(text, DROPPED, { metric: 'rpc_client_message_duration_seconds' })).toBe(
        distinct - 2,
      );
      expect(text).not.toContain(hugeString.slice(0, MAX_PATTERN_LENGTH + 1));
      expect(text).not.toContain(hugeObject.cmd.slice(0, MAX_PATTERN_LENGTH));
    } finally {
      await sender.close();
      await app.close();
    }
  });

  if (redisServer.missingUnderCi) {
    it('requires redis-server under CI', () => {
      throw redisServer.missingUnderCi;
    });
  }
});

/** Opens a graphql-ws connection, sends `message` as it is, and resolves with the close code. */
function closeCodeAfter(url: string, message: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.on('open', () => socket.send(message));
    socket.on('error', reject);
    socket.on('close', (code) => resolve(code));
  });
}

/** A frame of Nest's TCP transport: the JSON text's length, `#`, the text. */
function frame(json: string): string {
  return `${json.length}#${json}`;
}

function packet(value: object): string {
  return JSON.stringify(value);
}

/**
 * Writes `frames` on a new connection to Nest's TCP transport. Resolves with the first `replies`
 * packets the server sends back, or with `closed` when it closes the connection first.
 */
function writeFrames(port: number, frames: string[], replies = 0): Promise<unknown[] | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket: TcpSocket = connect(port, LOOPBACK, () => socket.write(frames.join('')));
    const received: unknown[] = [];
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let hash = buffered.indexOf('#'); hash !== -1; hash = buffered.indexOf('#')) {
        const length = Number(buffered.slice(0, hash));
        if (buffered.length < hash + 1 + length) break;
        received.push(JSON.parse(buffered.slice(hash + 1, hash + 1 + length)));
        buffered = buffered.slice(hash + 1 + length);
      }
      if (replies > 0 && received.length >= replies) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(replies > 0 ? received : 'closed'));
  });
}

describe('WebSocket frames from hostile clients', () => {
  const MESSAGES = 'websocket_messages_total';
  const DURATION_COUNT = 'websocket_message_duration_seconds_count';
  const UNKNOWN_EVENTS = 1000;
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('on the ws adapter: counts unknown events in one series, and frames it cannot parse not at all', async () => {
    const gateway = 'WsNotesGateway';
    // A small series cap: whatever clients invent takes one place under it.
    const started = await startApp(WsNotesGateway, true, { maxSeriesPerMetric: 5 });
    app = started.app;
    const metrics = metricsOf(started.baseUrl);
    const client = await openWsClient(started.baseUrl);
    const event = (name: unknown) => JSON.stringify({ event: name, data: MARK });
    // Parsed, but no handler has the event: counted under <unmatched>.
    const unmatched = [
      event(huge('e')),
      event(42),
      event({ [MARK]: 1 }),
      event('__proto__'),
      event('constructor'),
      JSON.stringify({ data: MARK }),
      JSON.stringify([MARK]),
      JSON.stringify(MARK),
      '42',
    ];
    // Not JSON, or JSON the adapter drops before any lookup: not counted.
    const unparsed = ['{ this is not json', '', `${MARK}${'{'.repeat(HUGE_LENGTH)}`, 'null'];
    for (const frame of [...unmatched, ...unparsed]) client.send(frame);
    client.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    for (let i = 0; i < UNKNOWN_EVENTS; i++) client.send(event(`${MARK}${i}`));
    const echoed = new Promise((resolve) =>
      client.once('message', (raw) => resolve(JSON.parse(String(raw)))),
    );
    client.send(JSON.stringify({ event: 'echo', data: 1 }));
    await expect(echoed).resolves.toEqual({ event: 'echo', data: 1 });

    const expected = unmatched.length + UNKNOWN_EVENTS;
    const text = await metrics.until(
      (current) => valueOf(current, MESSAGES, { gateway, event: UNMATCHED }) === expected,
    );
    expect(metrics.value(MESSAGES, { gateway, event: UNMATCHED, status: 'error' })).toBe(expected);
    expect(metrics.value(DURATION_COUNT, { gateway, event: UNMATCHED })).toBe(expected);
    expect(metrics.value(MESSAGES, { gateway, event: 'echo', status: 'success' })).toBe(1);
    expect(samplesOf(text, MESSAGES)).toHaveLength(2);
    expect(
      samplesOf(text, DROPPED).filter(({ labels }) => labels.metric?.startsWith('websocket_')),
    ).toEqual([]);
    expect(metrics.value('websocket_connections', { gateway })).toBe(1);
    expect(text).not.toContain(MARK);
    client.close();
  });

  it('on socket.io: counts unknown events in one series, and drops clients that send malformed packets', async () => {
    const gateway = 'IoNotesGateway';
    const started = await startApp(IoNotesGateway, false, { maxSeriesPerMetric: 5 });
    app = started.app;
    const metrics = metricsOf(started.baseUrl);
    const client = await openIoClient(started.baseUrl);
    const names = [huge('e'), '__proto__', 'constructor', 'hasOwnProperty', `${MARK} ✓ \n"`];
    for (const name of names) client.emit(name, MARK);
    for (let i = 0; i < UNKNOWN_EVENTS; i++) client.emit(`${MARK}${i}`, i);
    const echoed = new Promise((resolve) => client.once('echo', resolve));
    client.emit('echo', 'hi');
    await expect(echoed).resolves.toBe('hi');

    // The socket.io protocol spoken by hand, to send packets its client would refuse to. A packet
    // that does not decode makes the server drop the client; an event name that is not a string
    // decodes, and is an unknown event.
    for (const malformed of ['42[', `42{"${MARK}":1}`, `4${MARK}`]) {
      await expect(rawSocketIo(started.baseUrl, malformed)).resolves.toBe('closed');
    }
    await expect(rawSocketIo(started.baseUrl, '42[123]')).resolves.toBe('answered');

    const expected = names.length + UNKNOWN_EVENTS + 1;
    const text = await metrics.until(
      (current) =>
        valueOf(current, MESSAGES, { gateway, event: UNMATCHED }) === expected &&
        valueOf(current, 'websocket_connections', { gateway }) === 1,
    );
    expect(metrics.value(DURATION_COUNT, { gateway, event: UNMATCHED })).toBe(expected);
    expect(metrics.value(MESSAGES, { gateway, event: 'echo', status: 'success' })).toBe(2);
    expect(samplesOf(text, MESSAGES)).toHaveLength(2);
    expect(
      samplesOf(text, DROPPED).filter(({ labels }) => labels.metric?.startsWith('websocket_')),
    ).toEqual([]);
    // The client above and the four raw ones, each closed by the server or by itself.
    expect(metrics.value('websocket_connections_total', { gateway })).toBe(5);
    expect(text).not.toContain(MARK);
    client.disconnect();
  });
});

/**
 * Connects to socket.io's default namespace over a plain WebSocket (engine.io v4) and sends `packet`,
 * then an `echo` event. Resolves with `closed` when the server closes the connection first, or with
 * `answered` once the echo comes back (the server handles a client's packets in order).
 */
function rawSocketIo(baseUrl: string, packet: string): Promise<'closed' | 'answered'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(
      `${baseUrl.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`,
    );
    socket.on('message', (raw) => {
      const text = String(raw);
      if (text === '42["echo","raw"]') {
        resolve('answered');
        socket.close();
      } else if (text.startsWith('40')) {
        socket.send(packet);
        socket.send('42["echo","raw"]');
      } else if (text.startsWith('0')) socket.send('40');
      else if (text === '2') socket.send('3');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve('closed'));
  });
}
