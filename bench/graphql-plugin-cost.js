// `node bench/graphql-plugin-cost.js [--quick]` (after `npm run build`): what the module's Apollo
// plugin alone costs per GraphQL operation, without HTTP, Express or Nest around it. Four Apollo
// servers of the bench's schema run in this one process: without plugins (twice: the second shows the
// noise), with a plugin whose listener does nothing (the least any per-operation plugin costs), and
// with the plugin MetricsModule installs. Each operation goes through `executeHTTPGraphQLRequest`, as
// Apollo's HTTP integrations call it, with the bench's GraphQL mix. The servers take turns in blocks,
// in an order rotated every round; each block's CPU time is read with `process.cpuUsage()`.
import { performance } from 'node:perf_hooks';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { Registry } from 'prom-client';
import { createGraphqlMetricSet } from '../dist/metrics/transports/graphql/graphql-metrics.js';
import { GraphqlOperationRecorder } from '../dist/metrics/transports/graphql/graphql-operation-recorder.js';
import { InstrumentationErrors } from '../dist/metrics/recording/instrumentation-errors.js';
import { GRAPHQL_TYPE_DEFS } from './app.js';
import { GRAPHQL_MIX } from './lib/load.js';
import { median, rotated, signed } from './lib/stats.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 8 : 20;
const OPERATIONS_PER_BLOCK = 3000;
const WARM_UP_BLOCKS = 3;
const QUERIES = GRAPHQL_MIX.map((request) => JSON.parse(request.body).query);

const resolvers = {
  Query: { item: (_parent, { id }) => ({ id, name: `item ${id}` }) },
  Mutation: { addItem: (_parent, { name }) => ({ id: 1, name }) },
};
const metrics = createGraphqlMetricSet(new Registry(), '', [0.005, 0.05, 0.5, 5], false);
const recorder = new GraphqlOperationRecorder(metrics, 1000, new InstrumentationErrors());
const SERVERS = {
  'no plugin': [],
  'no plugin, a second server (shows the noise)': [],
  'a plugin whose listener does nothing': [{ requestDidStart: () => ({}) }],
  "MetricsModule's plugin": [recorder.plugin()],
};

const servers = new Map();
for (const [name, plugins] of Object.entries(SERVERS)) {
  const server = new ApolloServer({ typeDefs: GRAPHQL_TYPE_DEFS, resolvers, plugins });
  await server.start();
  servers.set(name, server);
}

async function operation(server, index) {
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: 'POST',
      headers: new HeaderMap([['content-type', 'application/json']]),
      search: '',
      body: { query: QUERIES[index % QUERIES.length] },
    },
    context: async () => ({}),
  });
  if (response.status !== undefined && response.status !== 200) {
    throw new Error(`the bench's operation answered ${response.status}`);
  }
}

/** CPU µs per operation over one block. */
async function block(server) {
  const before = process.cpuUsage();
  for (let index = 0; index < OPERATIONS_PER_BLOCK; index++) await operation(server, index);
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / OPERATIONS_PER_BLOCK;
}

const startedAt = performance.now();
const names = [...servers.keys()];
for (let warmUp = 0; warmUp < WARM_UP_BLOCKS; warmUp++)
  for (const name of names) await block(servers.get(name));
const perRound = new Map(names.map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of rotated(names, round)) {
    perRound.get(name).push(await block(servers.get(name)));
  }
}
for (const server of servers.values()) await server.stop();

// The plugin must have counted every operation it saw, or its figure would price nothing.
const counted = (await metrics.operationsTotal.get()).values.reduce(
  (sum, { value }) => sum + value,
  0,
);
const sent = (WARM_UP_BLOCKS + ROUNDS) * OPERATIONS_PER_BLOCK;
if (counted !== sent) throw new Error(`the plugin counted ${counted} operations of ${sent}`);

const [bare] = names;
const overBare = (name) =>
  median(perRound.get(name).map((cpu, round) => cpu - perRound.get(bare)[round]));
console.log(
  `Apollo Server alone, ${ROUNDS} rounds of ${OPERATIONS_PER_BLOCK} operations per server, ` +
    `${((performance.now() - startedAt) / 1000).toFixed(0)} s, Node ${process.version}\n`,
);
console.log('| server | CPU µs per operation (median) | over no plugin (median of rounds) |');
console.log('| --- | --- | --- |');
for (const name of names) {
  console.log(
    `| ${name} | ${median(perRound.get(name)).toFixed(2)} | ${signed(overBare(name), (value) => value.toFixed(2))} |`,
  );
}
