/**
 * Fails, naming the internal, when an upgrade of @nestjs/microservices moves what the library wraps.
 * When it does, find where Nest now does that and change nest-microservices-internals.ts alone.
 */
import { describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { ClientTCP, ServerTCP, Transport } from '@nestjs/microservices';
import { describeInternal, locatePrototype } from '../nest-internal.js';
import {
  NEST_MICROSERVICES_SERVER_INTERNALS,
  NEST_RPC_PROXY_INTERNALS,
  clientRouteOf,
  locateMicroservicesInternals,
} from './nest-microservices-internals.js';

const internals = [...NEST_MICROSERVICES_SERVER_INTERNALS, ...NEST_RPC_PROXY_INTERNALS];

describe(`the @nestjs/microservices internals the library wraps: ${internals.map(describeInternal).join(', ')}`, () => {
  it.each(internals.map((internal) => [describeInternal(internal), internal] as const))(
    '%s is still there',
    async (_name, internal) => {
      // On failure the rejection's message names the internal that moved.
      await expect(locatePrototype([internal])).resolves.toHaveProperty(internal.method);
    },
  );

  it('are the prototypes every server and proxy shares', async () => {
    const { server } = await locateMicroservicesInternals();
    expect(Object.getPrototypeOf(ServerTCP.prototype)).toBe(server);
  });

  it('find a handler by the route its pattern normalizes to, and nothing for another pattern', () => {
    const tcp = new ServerTCP({});
    const handler = async () => 'ok';
    tcp.addHandler({ role: 'user', cmd: 'greet' }, handler);
    const route = (
      tcp as unknown as { normalizePattern(pattern: unknown): string }
    ).normalizePattern({ cmd: 'greet', role: 'user' });
    expect(route).toBe('{"cmd":"greet","role":"user"}');
    expect(tcp.getHandlerByPattern(route)).toBe(handler);
    expect(tcp.getHandlerByPattern('nope')).toBeNull();
    // Each transport reads its messages in a `handleMessage` of its own, wrapped per server.
    expect(typeof (tcp as unknown as { handleMessage?: unknown }).handleMessage).toBe('function');
    expect(tcp.transportId).toBe(Transport.TCP);
  });

  it('normalize a client pattern as the server does', () => {
    const client = new ClientTCP({});
    expect(clientRouteOf(client, { role: 'user', cmd: 'greet' })).toBe(
      '{"cmd":"greet","role":"user"}',
    );
    expect(clientRouteOf({}, 'as sent')).toBe('as sent');
  });

  // Last: it leaves the library's wrappers on the shared prototypes.
  it('are found again once the library has wrapped them, as another copy of the library finds them', async () => {
    const { instrumentMicroservices } = await import('./microservices-instrumentation.js');
    await instrumentMicroservices();
    await expect(locatePrototype(NEST_MICROSERVICES_SERVER_INTERNALS)).resolves.toBeDefined();
    await expect(locatePrototype(NEST_RPC_PROXY_INTERNALS)).resolves.toBeDefined();
    await expect(instrumentMicroservices()).resolves.toBeUndefined();
  });
});
