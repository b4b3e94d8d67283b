/**
 * Fails, naming the internal, when an upgrade of @nestjs/websockets or @nestjs/platform-ws moves what
 * the library wraps. When it does, find where Nest now does that and change nest-websockets-internals.ts
 * alone.
 */
import { describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway, WsException } from '@nestjs/websockets';
import { isObservable, type Subject } from 'rxjs';
import WebSocket from 'ws';
import { listenAppOnLoopback } from '../../../../test/support/loopback.js';
import { describeInternal, locatePrototype } from '../nest-internal.js';
import {
  NEST_WEBSOCKETS_ADAPTER_INTERNAL,
  NEST_WEBSOCKETS_CONTROLLER_INTERNALS,
  NEST_WS_ADAPTER_INTERNALS,
  NEST_WS_PROXY_INTERNALS,
  ioAdapterOf,
  locateWebSocketsInternals,
  type WebSocketsController,
} from './nest-websockets-internals.js';

const methods = [
  ...NEST_WEBSOCKETS_CONTROLLER_INTERNALS,
  ...NEST_WS_PROXY_INTERNALS,
  ...NEST_WS_ADAPTER_INTERNALS,
];
const internals = [...methods.map(describeInternal), NEST_WEBSOCKETS_ADAPTER_INTERNAL].join(', ');

@WebSocketGateway({ path: '/probe' })
class ProbeGateway {
  @SubscribeMessage('echo')
  echo(): { event: string; data: string } {
    return { event: 'echo', data: 'back' };
  }

  @SubscribeMessage('fail')
  fail(): never {
    throw new WsException('refused');
  }
}

describe(`the WebSocket internals the library wraps: ${internals}`, () => {
  it.each(methods.map((internal) => [describeInternal(internal), internal] as const))(
    '%s is still there',
    async (_name, internal) => {
      // On failure the rejection's message names the internal that moved.
      await expect(locatePrototype([internal])).resolves.toHaveProperty(internal.method);
    },
  );

  it(`still work as the library expects on a ws gateway, ${NEST_WEBSOCKETS_ADAPTER_INTERNAL} included`, async () => {
    const { controller, wsProxy } = await locateWebSocketsInternals();
    const seen = {
      adapters: [] as unknown[],
      disconnects: [] as boolean[],
      lookups: [] as unknown[][],
      maps: [] as unknown[],
      exceptions: [] as unknown[],
    };
    const originals = {
      getConnectionHandler: controller.getConnectionHandler,
      subscribeMessages: controller.subscribeMessages,
      handleError: wsProxy.handleError,
      bindMessageHandler: WsAdapter.prototype.bindMessageHandler,
    };
    controller.getConnectionHandler = function (this: WebSocketsController, ...args) {
      seen.disconnects.push(isObservable(args[3]));
      (args[3] as Subject<unknown>).subscribe(() => seen.disconnects.push(true));
      return originals.getConnectionHandler.apply(this, args);
    };
    controller.subscribeMessages = function (this: WebSocketsController, ...args) {
      seen.adapters.push(ioAdapterOf(this));
      return originals.subscribeMessages.apply(this, args);
    };
    wsProxy.handleError = function (this: unknown, ...args: unknown[]) {
      seen.exceptions.push(args[2]);
      return originals.handleError.apply(this, args);
    };
    WsAdapter.prototype.bindMessageHandler = function (
      this: WsAdapter,
      frame,
      handlers,
      transform,
    ) {
      seen.lookups.push([...handlers.keys()]);
      seen.maps.push(handlers);
      return originals.bindMessageHandler.call(this, frame, handlers, transform);
    };
    const moduleRef = await Test.createTestingModule({ providers: [ProbeGateway] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const adapter = new WsAdapter(app);
    app.useWebSocketAdapter(adapter);
    try {
      const url = `${(await listenAppOnLoopback(app)).replace('http', 'ws')}/probe`;
      const client = new WebSocket(url);
      const replies: string[] = [];
      const answered = new Promise((resolve) =>
        client.on('message', (raw) => replies.push(String(raw)) === 2 && resolve(replies)),
      );
      await new Promise((resolve) => client.once('open', resolve));
      client.send(JSON.stringify({ event: 'fail' }));
      client.send(JSON.stringify({ event: 'echo' }));
      await expect(answered).resolves.toEqual([
        '{"event":"exception","data":{"status":"error","message":"refused","cause":{"pattern":"fail"}}}',
        '{"event":"echo","data":"back"}',
      ]);
      const closed = new Promise((resolve) => client.once('close', resolve));
      client.close();
      await closed;
      await new Promise((resolve) => setImmediate(resolve));

      expect(seen.adapters).toEqual([adapter]);
      expect(seen.lookups).toEqual([
        ['echo', 'fail'],
        ['echo', 'fail'],
      ]);
      // One map per client, not per frame: the library makes its counting view of it once.
      expect(seen.maps[1]).toBe(seen.maps[0]);
      expect(seen.exceptions).toEqual([new WsException('refused')]);
      expect(seen.disconnects).toEqual([true, true]);
    } finally {
      await app.close();
      Object.assign(controller, {
        getConnectionHandler: originals.getConnectionHandler,
        subscribeMessages: originals.subscribeMessages,
      });
      wsProxy.handleError = originals.handleError;
      WsAdapter.prototype.bindMessageHandler = originals.bindMessageHandler;
    }
  });

  // Last: it leaves the library's wrappers on the shared prototypes.
  it('are found again once the library has wrapped them, as another copy of the library finds them', async () => {
    const { instrumentWebSockets } = await import('./websockets-instrumentation.js');
    await instrumentWebSockets();
    await expect(locatePrototype(NEST_WEBSOCKETS_CONTROLLER_INTERNALS)).resolves.toBeDefined();
    await expect(locatePrototype(NEST_WS_PROXY_INTERNALS)).resolves.toBeDefined();
    await expect(instrumentWebSockets()).resolves.toBeUndefined();
  });
});
