import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { UsersModule } from '../users/users.module.js';
import { UsersResolver } from './users.resolver.js';

/** The demo's GraphQL API at `/graphql`: an in-memory code-first schema, no GraphiQL page. */
@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      graphiql: false,
    }),
    UsersModule,
  ],
  providers: [UsersResolver],
})
export class DemoGraphqlModule {}
