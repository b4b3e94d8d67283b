import { describe, expect, it } from '@jest/globals';
import { errorTypeOf } from './http-client-recorder.js';
import { clientRequestPeerHost, undiciPeerHost } from './peer-host.js';

describe('peer host label', () => {
  it.each([
    ['http://127.0.0.1:8080', '127.0.0.1:8080'],
    ['https://API.Example.com', 'api.example.com:443'],
    ['http://example.com', 'example.com:80'],
    ['http://[::1]:9000', '[::1]:9000'],
  ])('reads %s from an undici origin as %s', (origin, host) => {
    expect(undiciPeerHost(origin)).toBe(host);
  });

  it('reads no host from an origin that is not a URL', () => {
    expect(undiciPeerHost('not a url')).toBeUndefined();
    expect(undiciPeerHost(undefined)).toBeUndefined();
  });

  const request = (host: string, header: string | undefined, extra: object = {}) => ({
    host,
    protocol: 'http:',
    getHeader: () => header,
    ...extra,
  });

  it('takes the port of a node:http request from the Host header Node wrote', () => {
    expect(clientRequestPeerHost(request('127.0.0.1', '127.0.0.1:3000'))).toBe('127.0.0.1:3000');
    expect(clientRequestPeerHost(request('::1', '[::1]:3000'))).toBe('[::1]:3000');
    expect(clientRequestPeerHost(request('Example.com', 'example.com'))).toBe('example.com:80');
  });

  it('ignores a Host header naming another host, using the socket or the error instead', () => {
    const own = request('10.0.0.1', 'virtual.example', { socket: { remotePort: 8443 } });
    expect(clientRequestPeerHost(own)).toBe('10.0.0.1:8443');
    expect(clientRequestPeerHost(request('10.0.0.1', 'virtual.example'), { port: 81 })).toBe(
      '10.0.0.1:81',
    );
    expect(clientRequestPeerHost(request('10.0.0.1', 'virtual.example'))).toBe('10.0.0.1:80');
  });

  it('reads a Host header it has seen before the same way, for whichever host the request names', () => {
    for (let call = 0; call < 3; call++) {
      expect(clientRequestPeerHost(request('LocalHost', 'localhost:4000'))).toBe('localhost:4000');
      const other = request('10.0.0.2', 'localhost:4000', { socket: { remotePort: 5000 } });
      expect(clientRequestPeerHost(other)).toBe('10.0.0.2:5000');
      const https = request('localhost', 'localhost', { protocol: 'https:' });
      expect(clientRequestPeerHost(https)).toBe('localhost:443');
      expect(clientRequestPeerHost(request('localhost', 'localhost'))).toBe('localhost:80');
    }
  });
});

describe('outbound error type', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [new DOMException('timed out', 'TimeoutError'), 'TimeoutError'],
    [new Error('x'), 'Error'],
    [Object.assign(new Error('x'), { code: 'not a code', name: 'bad name!' }), 'Error'],
    ['a string', 'Error'],
    [undefined, 'Error'],
  ])('names %p as %s', (error, type) => {
    expect(errorTypeOf(error)).toBe(type);
  });
});
