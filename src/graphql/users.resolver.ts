import { NotFoundException } from '@nestjs/common';
import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { UsersService } from '../users/users.service.js';
import { UserType } from './user.type.js';

/**
 * Code-first resolvers over the same users table as the REST API, so the same database and cache
 * metrics move whichever API a client uses. MetricsModule measures their operations by itself.
 */
@Resolver(() => UserType)
export class UsersResolver {
  constructor(private readonly users: UsersService) {}

  /** Throws NotFoundException for an unknown id: an operation with errors, counted as such. */
  @Query(() => UserType)
  user(@Args('id', { type: () => Int }) id: number): UserType {
    const user = this.users.getById(id);
    if (!user) throw new NotFoundException(`User ${id} not found`);
    return user;
  }

  @Mutation(() => UserType)
  createUser(
    @Args('name', { type: () => String }) name: string,
    @Args('email', { type: () => String }) email: string,
    @Args('password', { type: () => String }) password: string,
  ): Promise<UserType> {
    return this.users.create({ name, email, password });
  }
}
