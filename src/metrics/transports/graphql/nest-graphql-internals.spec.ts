/**
 * Fails, naming the internal, when an upgrade of @nestjs/graphql, @nestjs/apollo or @nestjs/core moves
 * what the library reaches into. When it does, find where Nest now does that and change
 * nest-graphql-internals.ts alone.
 */
import { describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { ModulesContainer } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { describeInternal, locatePrototype } from '../nest-internal.js';
import {
  NEST_GRAPHQL_INTERNALS,
  extendMergedOptions,
  findGraphqlModule,
} from './nest-graphql-internals.js';

const { module, mergeDefaultOptions, instance } = NEST_GRAPHQL_INTERNALS;
const internals = `${module}, ${describeInternal(mergeDefaultOptions)}, ${instance}`;

describe(`the GraphQL internals the library reaches into: ${internals}`, () => {
  it(`${describeInternal(mergeDefaultOptions)} is still there`, async () => {
    // On failure the rejection's message names the internal that moved.
    await expect(locatePrototype([mergeDefaultOptions])).resolves.toHaveProperty(
      mergeDefaultOptions.method,
    );
  });

  it('find the Apollo driver before its server starts, and start it with the extended options', async () => {
    const started: string[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          typeDefs: 'type Query { ping: String }',
          resolvers: { Query: { ping: () => 'pong' } },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      // On failure: GraphQLModule or its driver provider is no longer where `module` says.
      const found = await findGraphqlModule(app.get(ModulesContainer));
      expect(found?.driver).toBeInstanceOf(ApolloDriver);
      // On failure: `instance` no longer tells a server that has not started.
      expect(found?.driver?.instance).toBeUndefined();
      if (!found?.driver) return;
      extendMergedOptions(found.driver, (merged) => {
        merged.plugins = [
          ...(merged.plugins ?? []),
          { serverWillStart: async () => void started.push('plugin') },
        ];
      });
      await app.init();
      expect(started).toEqual(['plugin']);
      expect(found.driver.instance).toBeDefined();
      expect(() => extendMergedOptions(found.driver!, () => undefined)).toThrow(
        'the Apollo server had already started, so its operations are not measured',
      );
    } finally {
      await app.close();
    }
  });

  it('is undefined for an app without GraphQLModule', async () => {
    const moduleRef = await Test.createTestingModule({}).compile();
    await expect(findGraphqlModule(moduleRef.get(ModulesContainer))).resolves.toBeUndefined();
  });
});
