import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { User } from '../users/user.model.js';
import type { AuthenticatedRequest } from './token.guard.js';

/** The user that {@link TokenGuard} attached to the request; only meaningful behind that guard. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): User =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().authenticatedUser,
);
