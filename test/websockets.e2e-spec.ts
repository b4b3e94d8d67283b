import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type WebSocket from 'ws';
import type { MetricsSummary } from '../src/metrics/index.js';
import {
  IoNotesGateway,
  metricsOf,
  openIoClient,
  openWsClient,
  startApp,
  WsNotesGateway,
} from './fixtures/websocket-app.js';
import { expectPromtoolClean } from './support/promtool-lint.js';
import { sumOf, valueOf } from './support/exposition.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';

describe('WebSocket gateway on the ws adapter, with real ws clients', () => {
  let app: INestApplication;
  let baseUrl = '';
  const gateway = 'WsNotesGateway';

  beforeAll(async () => {
    ({ app, baseUrl } = await startApp(WsNotesGateway, true));
  });
  afterAll(async () => {
    await app?.close();
  });

  const open = () => openWsClient(baseUrl);
  const reply = (client: WebSocket) =>
    new Promise<unknown>((resolve) =>
      client.once('message', (raw) => resolve(JSON.parse(String(raw)))),
    );

  it('counts messages by event and outcome, unknown events, and connections that end or drop', async () => {
    const metrics = metricsOf(baseUrl);
    const client = await open();
    const dropped = await open();
    const echoed = reply(client);
    client.send(JSON.stringify({ event: 'echo', data: 1 }));
    await expect(echoed).resolves.toEqual({ event: 'echo', data: 1 });
    const saved = reply(client);
    client.send(JSON.stringify({ event: 'save', data: 'ok' }));
    await expect(saved).resolves.toEqual({ event: 'saved', data: 'ok' });
    client.send(JSON.stringify({ event: 'save', data: 'bad' }));
    client.send(JSON.stringify({ event: 'fail', data: null }));
    client.send(JSON.stringify({ event: 'no-such-event', data: null }));

    await metrics.until(
      (text) =>
        valueOf(text, 'websocket_messages_total', { gateway, event: 'fail' }) === 1 &&
        valueOf(text, 'websocket_messages_total', { gateway, event: 'save', status: 'error' }) ===
          1 &&
        valueOf(text, 'websocket_messages_total', { gateway, event: '<unmatched>' }) === 1,
    );
    const messages = (event: string, status: string) =>
      metrics.value('websocket_messages_total', { gateway, event, status });
    expect(messages('echo', 'success')).toBe(1);
    expect(messages('save', 'success')).toBe(1);
    expect(messages('save', 'error')).toBe(1);
    expect(messages('fail', 'error')).toBe(1);
    expect(messages('<unmatched>', 'error')).toBe(1);
    // Timed too, from its arrival to its being dropped: the counts of both metrics agree.
    expect(
      metrics.value('websocket_message_duration_seconds_count', { gateway, event: '<unmatched>' }),
    ).toBe(1);
    expect(
      metrics.value('websocket_message_duration_seconds_count', { gateway, event: 'save' }),
    ).toBe(2);
    expect(
      metrics.value('websocket_exceptions_total', {
        gateway,
        event: 'fail',
        exception_type: 'WsException',
      }),
    ).toBe(1);
    expect(metrics.value('database_operations_total', { table: 'notes', status: 'success' })).toBe(
      1,
    );
    expect(metrics.value('database_operations_total', { table: 'notes', status: 'error' })).toBe(1);
    expect(metrics.value('websocket_connections', { gateway })).toBe(2);
    expect(metrics.value('websocket_connections_total', { gateway })).toBe(2);

    client.close();
    dropped.terminate();
    const text = await metrics.until(
      (text) => valueOf(text, 'websocket_connections', { gateway }) === 0,
    );
    expect(metrics.value('websocket_connections_total', { gateway })).toBe(2);
    expectPromtoolClean(text);
    await request(baseUrl)
      .get('/metrics')
      .set('Accept', OPENMETRICS)
      .expect(200)
      .expect('Content-Type', /openmetrics/);

    const { websockets, rpc } = (await metrics.custom()) as MetricsSummary;
    expect(rpc).toBeUndefined();
    expect(websockets).toMatchObject({
      connections_open: 0,
      connections_total: 2,
      messages_total: sumOf(text, 'websocket_messages_total'),
      errors_total: sumOf(text, 'websocket_messages_total', { status: 'error' }),
    });
    // echo, save ×2, fail, one unknown event.
    expect(websockets?.messages_total).toBe(5);
    expect(websockets?.by_handler).toContainEqual({ gateway, event: 'save', count: 2, errors: 1 });
  });
});

describe('WebSocket gateway on the socket.io adapter, with real socket.io clients', () => {
  let app: INestApplication;
  let baseUrl = '';
  const gateway = 'IoNotesGateway';

  beforeAll(async () => {
    ({ app, baseUrl } = await startApp(IoNotesGateway, false));
  });
  afterAll(async () => {
    await app?.close();
  });

  const open = () => openIoClient(baseUrl);

  it('counts replied messages, a WsException, unknown events, and connections that end or drop', async () => {
    const metrics = metricsOf(baseUrl);
    const client = await open();
    const dropped = await open();
    const echoed = new Promise((resolve) => client.once('echo', resolve));
    client.emit('echo', 'hi');
    await expect(echoed).resolves.toBe('hi');
    const exception = new Promise((resolve) => client.once('exception', resolve));
    client.emit('fail', {});
    await expect(exception).resolves.toMatchObject({ message: 'refused' });
    client.emit('no-such-event', {});
    client.emit('another-unknown', {});

    await metrics.until(
      (text) => valueOf(text, 'websocket_messages_total', { gateway, event: '<unmatched>' }) === 2,
    );
    const messages = (event: string, status: string) =>
      metrics.value('websocket_messages_total', { gateway, event, status });
    expect(messages('echo', 'success')).toBe(1);
    expect(messages('fail', 'error')).toBe(1);
    expect(messages('<unmatched>', 'error')).toBe(2);
    expect(
      metrics.value('websocket_message_duration_seconds_count', { gateway, event: '<unmatched>' }),
    ).toBe(2);
    expect(
      metrics.value('websocket_exceptions_total', {
        gateway,
        event: 'fail',
        exception_type: 'WsException',
      }),
    ).toBe(1);
    expect(metrics.value('websocket_connections', { gateway })).toBe(2);

    client.disconnect();
    // A client whose transport goes away without a disconnect packet.
    (dropped.io.engine as unknown as { close(): void }).close();
    await metrics.until((text) => valueOf(text, 'websocket_connections', { gateway }) === 0);
    expect(metrics.value('websocket_connections_total', { gateway })).toBe(2);
    dropped.close();
  });
});

describe('WebSocket labels under the series cap', () => {
  let app: INestApplication;
  let baseUrl = '';
  const gateway = 'WsNotesGateway';

  beforeAll(async () => {
    ({ app, baseUrl } = await startApp(WsNotesGateway, true, { maxSeriesPerMetric: 2 }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('records the first label sets and counts the rest as dropped', async () => {
    const metrics = metricsOf(baseUrl);
    const client: WebSocket = await openWsClient(baseUrl);
    // Handlers run concurrently; waiting between steps fixes which label sets come first.
    for (const event of ['echo', 'fail', 'fail'])
      client.send(JSON.stringify({ event, data: 'ok' }));
    await metrics.until(
      (current) =>
        valueOf(current, 'websocket_exceptions_total', { gateway, event: 'fail' }) === 2 &&
        valueOf(current, 'websocket_messages_total', { gateway, event: 'echo' }) === 1,
    );
    client.send(JSON.stringify({ event: 'save', data: 'ok' }));
    await metrics.until(
      (current) => valueOf(current, 'database_operations_total', { table: 'notes' }) === 1,
    );
    client.close();
    const text = await metrics.until(
      (current) => valueOf(current, 'websocket_connections', { gateway }) === 0,
    );
    const dropped = (metric: string) =>
      valueOf(text, 'metrics_series_dropped_total', { metric }) ?? 0;
    expect(metrics.value('websocket_messages_total', { gateway, event: 'echo' })).toBe(1);
    expect(metrics.value('websocket_messages_total', { gateway, event: 'fail' })).toBe(2);
    expect(metrics.value('websocket_messages_total', { gateway, event: 'save' })).toBeUndefined();
    expect(dropped('websocket_messages_total')).toBe(1);
    expect(dropped('websocket_message_duration_seconds')).toBe(1);
    expect(dropped('websocket_exceptions_total')).toBe(0);
  });
});
