import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { User } from '../users/user.model.js';
import { AuthService } from './auth.service.js';

export interface AuthenticatedRequest extends Request {
  authenticatedUser: User;
}

const BEARER_PATTERN = /^Bearer\s+(\S+)$/i;

/**
 * Lets a request through only with a bearer token issued by POST /auth/login. Returning false
 * (rather than throwing 401) makes Nest answer 403 Forbidden.
 */
@Injectable()
export class TokenGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Partial<AuthenticatedRequest> & Request>();
    const token = BEARER_PATTERN.exec(request.headers.authorization ?? '')?.[1];
    const user = token === undefined ? undefined : this.auth.resolveToken(token);
    if (!user) {
      return false;
    }
    request.authenticatedUser = user;
    return true;
  }
}
