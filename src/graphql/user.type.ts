import { Field, Int, ObjectType } from '@nestjs/graphql';

/** The GraphQL view of a user; the same fields the REST API exposes. */
@ObjectType('User')
export class UserType {
  @Field(() => Int)
  id: number;

  @Field(() => String)
  name: string;

  @Field(() => String)
  email: string;

  @Field(() => String)
  createdAt: string;
}
