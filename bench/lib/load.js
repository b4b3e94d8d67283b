import autocannon from 'autocannon';
import { processCpuMicroseconds } from './proc-cpu.js';

export const CONNECTIONS = 50;

/** The request mix every setup serves: each connection cycles through it. */
export const REQUEST_MIX = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/items/42?q=x' },
  {
    method: 'POST',
    path: '/users',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
  },
];

/** The outbound-metrics setups' mix: every request makes the app call the local upstream once. */
export const UPSTREAM_MIX = [{ method: 'GET', path: '/upstream' }];

/** The request-label setups' mix: REQUEST_MIX once for each of five tenants (the x-tenant header). */
export const TENANT_MIX = ['acme', 'globex', 'initech', 'umbrella', 'hooli'].flatMap((tenant) =>
  REQUEST_MIX.map((request) => ({
    ...request,
    headers: { ...request.headers, 'x-tenant': tenant },
  })),
);

const graphqlRequest = (query) => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query }),
});

/** The GraphQL setups' mix: a named query, an anonymous one with two aliased fields, a mutation. */
export const GRAPHQL_MIX = [
  graphqlRequest('query Item { item(id: 42) { id name } }'),
  graphqlRequest('{ first: item(id: 1) { id } second: item(id: 2) { name } }'),
  graphqlRequest('mutation AddItem { addItem(name: "lamp") { id name } }'),
];

/** Saturates a server with the mix for `seconds`; fails on any connection error or non-2xx answer. */
export async function load(server, seconds, requests = REQUEST_MIX) {
  const cpuBefore = processCpuMicroseconds(server.pid);
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests,
  });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(
      `${server.setup}: ${result.errors} connection errors, ${result.non2xx} non-2xx responses`,
    );
  }
  const cpuMicroseconds = processCpuMicroseconds(server.pid) - cpuBefore;
  return {
    throughput: result.requests.total / result.duration,
    // CPU time the server spent per request: less sensitive than throughput to noisy neighbours.
    cpuPerRequest: cpuMicroseconds / result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}
