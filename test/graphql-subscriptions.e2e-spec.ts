import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ANONYMOUS_OPERATION, INVALID_OPERATION } from '../src/metrics/index.js';
import { createGraphqlFixture, type GraphqlFixture } from './fixtures/graphql-app.js';
import { samplesOf, sumOf, valueOf } from './support/exposition.js';
import { listenAppOnLoopback } from './support/loopback.js';
import { FAST_POLL, pollUntil } from './support/poll.js';

const OPERATIONS = 'graphql_operations_total';
const DURATION_COUNT = 'graphql_operation_duration_seconds_count';

let fixture: GraphqlFixture | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.dispose();
  client = undefined;
  await fixture?.close();
  fixture = undefined;
});

/** An app serving graphql-ws on the GraphQL path, and a way to connect graphql-ws clients to it. */
async function start(subscriptions: object = { subscriptions: { 'graphql-ws': true } }) {
  fixture = await createGraphqlFixture({ graphql: subscriptions });
  const url = `${(await listenAppOnLoopback(fixture.app)).replace('http', 'ws')}/graphql`;
  const connect = () => {
    client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });
    return client;
  };
  return { f: fixture, connect };
}

/** Every result of one operation, and how it ended: `complete`, or the error the client got. */
function run(graphqlWs: Client, query: string): Promise<{ results: unknown[]; error?: unknown }> {
  const results: unknown[] = [];
  const operationName = /^\w+ (\w+)/.exec(query)?.[1];
  return new Promise((resolve) => {
    graphqlWs.subscribe(
      { query, operationName },
      {
        next: (result) => results.push(result),
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}

const scrapeWhen = (f: GraphqlFixture, operations: number) =>
  pollUntil(
    'every operation to be counted',
    async () => {
      const text = await f.scrape();
      return sumOf(text, OPERATIONS) === operations ? text : undefined;
    },
    FAST_POLL,
  );

const operation = (type: string, name: string, status: string) => ({
  operation_type: type,
  operation_name: name,
  status,
});

describe('GraphQL operations over graphql-ws', () => {
  it('counts subscriptions, queries and refused operations when they end, with exact counts', async () => {
    const { f, connect } = await start();
    const graphqlWs = connect();
    const tour = await run(graphqlWs, 'subscription Tour { shelfTour { id } }');
    expect(tour).toEqual({
      results: [{ data: { shelfTour: { id: 1 } } }, { data: { shelfTour: { id: 2 } } }],
    });
    await expect(run(graphqlWs, '{ books { id } }')).resolves.toEqual({
      results: [{ data: { books: [{ id: 1 }, { id: 2 }] } }],
    });
    const empty = await run(graphqlWs, 'query Empty { emptyShelf { id } }');
    expect(empty.results).toEqual([
      expect.objectContaining({ data: null, errors: [expect.anything()] }),
    ]);
    // Refused by validation: an error message, and no complete.
    expect((await run(graphqlWs, 'subscription Bad { nope }')).error).toBeDefined();

    const text = await scrapeWhen(f, 4);
    expect(valueOf(text, OPERATIONS, operation('subscription', 'Tour', 'success'))).toBe(1);
    expect(valueOf(text, OPERATIONS, operation('query', ANONYMOUS_OPERATION, 'success'))).toBe(1);
    expect(valueOf(text, OPERATIONS, operation('query', 'Empty', 'error'))).toBe(1);
    expect(valueOf(text, OPERATIONS, operation('subscription', 'Bad', 'error'))).toBe(1);
    expect(samplesOf(text, OPERATIONS)).toHaveLength(4);
    expect(sumOf(text, DURATION_COUNT)).toBe(4);
    expect(
      valueOf(text, 'graphql_exceptions_total', {
        exception_type: 'ShelfEmptyError',
        operation_type: 'query',
        operation_name: 'Empty',
      }),
    ).toBe(1);
    // The WebSocket upgrade is no HTTP request the app answered.
    expect(samplesOf(text, 'http_requests_total')).toHaveLength(0);
  });

  it('counts a subscription when the client leaves it, and when the connection drops', async () => {
    const { f, connect } = await start();
    const graphqlWs = connect();
    const first = await new Promise<unknown>((resolve) => {
      const unsubscribe = graphqlWs.subscribe(
        { query: 'subscription Watch { watchShelf { id } }' },
        {
          next: (result) => {
            unsubscribe();
            resolve(result);
          },
          error: resolve,
          complete: () => undefined,
        },
      );
    });
    expect(first).toEqual({ data: { watchShelf: { id: 1 } } });
    expect(
      valueOf(await scrapeWhen(f, 1), OPERATIONS, operation('subscription', 'Watch', 'success')),
    ).toBe(1);

    // A second subscription, ended by the connection closing under it.
    await new Promise<void>((resolve) => {
      graphqlWs.subscribe(
        { query: 'subscription Watch { watchShelf { id } }' },
        { next: () => resolve(), error: () => resolve(), complete: () => undefined },
      );
    });
    await graphqlWs.dispose();
    const text = await scrapeWhen(f, 2);
    expect(valueOf(text, OPERATIONS, operation('subscription', 'Watch', 'success'))).toBe(2);
    expect(sumOf(text, DURATION_COUNT)).toBe(2);
  });

  it("runs the app's own graphql-ws hooks as before, with their results", async () => {
    const seen: string[] = [];
    const { GraphQLError } = await import('graphql');
    const { f, connect } = await start({
      subscriptions: {
        'graphql-ws': {
          onSubscribe: (_ctx: unknown, _id: unknown, payload: { operationName?: string }) => {
            seen.push(`subscribe ${payload.operationName}`);
            // The app refuses this one itself.
            if (payload.operationName === 'Refused') return [new GraphQLError('not allowed')];
            return undefined;
          },
          onNext: async () => {
            seen.push('next');
            return { data: { replaced: true } };
          },
          onComplete: () => {
            seen.push('complete');
          },
        },
      },
    });
    const graphqlWs = connect();
    await expect(
      run(graphqlWs, 'query Shelf { books { id } }').then(({ results }) => results),
    ).resolves.toEqual([{ data: { replaced: true } }]);
    const refused = await run(graphqlWs, 'query Refused { books { id } }');
    expect(refused.error).toEqual([expect.objectContaining({ message: 'not allowed' })]);
    expect(seen).toEqual(['subscribe Shelf', 'next', 'complete', 'subscribe Refused']);

    const text = await scrapeWhen(f, 2);
    expect(valueOf(text, OPERATIONS, operation('query', 'Shelf', 'success'))).toBe(1);
    expect(valueOf(text, OPERATIONS, operation('query', 'Refused', 'error'))).toBe(1);
  });

  it('counts a document the server cannot parse as <invalid>, and keeps serving others', async () => {
    const { f, connect } = await start({ installSubscriptionHandlers: true });
    // graphql-ws closes the connection over a document that does not parse, and logs the error.
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect((await run(connect(), 'subscription Cut { shelfTour ')).error).toBeDefined();
    } finally {
      logged.mockRestore();
    }
    await client?.dispose();
    await expect(run(connect(), 'subscription Tour { shelfTour { id } }')).resolves.toMatchObject({
      results: [expect.anything(), expect.anything()],
    });
    const text = await scrapeWhen(f, 2);
    expect(
      valueOf(text, OPERATIONS, operation(INVALID_OPERATION, INVALID_OPERATION, 'error')),
    ).toBe(1);
    expect(valueOf(text, OPERATIONS, operation('subscription', 'Tour', 'success'))).toBe(1);
  });
});
