import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http, { type Server } from 'node:http';
import { samplesOf, sumOf } from '../../../../test/support/exposition.js';
import { LOOPBACK, closeServer, listenOnLoopback } from '../../../../test/support/loopback.js';
import { createOutboundRecorder } from '../../../../test/support/outbound-recorder.js';

function createUpstream(): Server {
  return http.createServer((request, response) => {
    request.resume();
    if (request.url === '/missing') response.statusCode = 404;
    response.end('ok');
  });
}

function httpCall(url: string, method = 'GET'): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .request(url, { method }, (response) => {
        response.resume();
        response.on('end', resolve);
      })
      .on('error', reject)
      .end();
  });
}

const upstreams: Server[] = [];
const hosts: string[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const upstream = createUpstream();
    upstreams.push(upstream);
    hosts.push(`${LOOPBACK}:${await listenOnLoopback(upstream as never)}`);
  }
});

afterAll(async () => {
  for (const upstream of upstreams) {
    upstream.closeAllConnections();
    await closeServer(upstream as never);
  }
});

describe('outbound recorder', () => {
  it('counts a repeated call under the labels it had the first time: capped host, grouped status, odd method', async () => {
    const { recorder, registry } = createOutboundRecorder({ maxHosts: 1, groupStatusCodes: true });
    const [named, other] = hosts;
    recorder.start();
    try {
      for (let round = 0; round < 3; round++) {
        await (await fetch(`http://${named}/`)).text();
        await (await fetch(`http://${other}/`)).text();
        await (await fetch(`http://${named}/missing`)).text();
        await (await fetch(`http://${named}/`, { method: 'PURGE' })).text();
        await httpCall(`http://${named}/`);
        await httpCall(`http://${other}/`);
        await httpCall(`http://${named}/missing`);
        await httpCall(`http://${named}/`, 'PURGE');
      }
    } finally {
      recorder.stop();
    }
    const text = await registry.metrics();
    const counts = samplesOf(text, 'calls_total').map(({ labels, value }) => ({
      ...labels,
      value,
    }));
    expect(counts).toHaveLength(4);
    expect(counts).toEqual(
      expect.arrayContaining([
        { method: 'GET', host: named, status_code: '2xx', value: 6 },
        { method: 'GET', host: '<other>', status_code: '2xx', value: 6 },
        { method: 'GET', host: named, status_code: '4xx', value: 6 },
        { method: '_OTHER', host: named, status_code: '2xx', value: 6 },
      ]),
    );
    expect(sumOf(text, 'call_seconds_count')).toBe(24);
    expect(sumOf(text, 'call_errors_total')).toBe(0);
  });
});
