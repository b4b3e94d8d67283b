/**
 * Fails, naming the internal, when an upgrade of @nestjs/mercurius (or mercurius) moves what the
 * library reaches into. When it does, find where Nest now does that and change
 * nest-mercurius-internals.ts alone.
 */
import { describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { ModulesContainer } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { describeInternal, locatePrototype } from '../nest-internal.js';
import { extendMergedOptions, findGraphqlModule } from './nest-graphql-internals.js';
import {
  MERCURIUS_SERVER,
  NEST_MERCURIUS_INTERNALS,
  isMercuriusDriver,
} from './nest-mercurius-internals.js';

const { mergeDefaultOptions, start, instance } = NEST_MERCURIUS_INTERNALS;
const internals = `${describeInternal(mergeDefaultOptions)}, ${start}, ${instance}`;

type Hook = (...args: unknown[]) => unknown;
type Formatter = (execution: { errors?: unknown[] }, context: unknown) => unknown;

describe(`the Mercurius internals the library reaches into: ${internals}`, () => {
  it(`${describeInternal(mergeDefaultOptions)} is still there`, async () => {
    // On failure the rejection's message names the internal that moved.
    await expect(locatePrototype([mergeDefaultOptions])).resolves.toHaveProperty(
      mergeDefaultOptions.method,
    );
  });

  it('find the Mercurius driver before it starts, and start Mercurius with the extended hooks and error formatter', async () => {
    const seen: string[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [
        GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          typeDefs: 'type Query { ping: String, fail: String }',
          resolvers: {
            Query: {
              ping: () => 'pong',
              fail: () => {
                throw new Error('failed');
              },
            },
          },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    try {
      // On failure: GraphQLModule or its driver provider is no longer where nest-graphql-internals says.
      const found = await findGraphqlModule(app.get(ModulesContainer));
      const driver = found?.driver;
      if (!driver) throw new Error('no GraphQL driver found');
      await expect(isMercuriusDriver(driver)).resolves.toBe(true);
      // On failure: `instance` no longer tells a driver that has not started.
      expect(MERCURIUS_SERVER.hasStarted(driver)).toBe(false);
      extendMergedOptions(
        driver,
        (merged) => {
          const options = merged as { hooks?: Record<string, Hook>; errorFormatter?: Formatter };
          options.hooks = { preParsing: () => void seen.push('preParsing') };
          options.errorFormatter = () => {
            seen.push('errorFormatter');
            return { statusCode: 200, response: { data: null, errors: [] } };
          };
        },
        MERCURIUS_SERVER,
      );
      await app.init();
      // On failure: `start` no longer registers the `hooks` option or passes `errorFormatter` on.
      expect(MERCURIUS_SERVER.hasStarted(driver)).toBe(true);
      const fastify = driver.instance as { graphql(source: string, context: object): unknown };
      await fastify.graphql('{ ping }', {});
      await fastify.graphql('{ fail }', {});
      expect(seen).toEqual(['preParsing', 'preParsing', 'errorFormatter']);
      expect(() => extendMergedOptions(driver, () => undefined, MERCURIUS_SERVER)).toThrow(
        'Mercurius had already started, so its operations are not measured',
      );
    } finally {
      await app.close();
    }
  });
});
