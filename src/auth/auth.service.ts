import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { TrackAuthEvent } from '../metrics/index.js';
import { hashPassword, verifyPassword } from '../users/password.util.js';
import type { User } from '../users/user.model.js';
import { UsersService } from '../users/users.service.js';

const TOKEN_BYTES = 32;
// Bounds memory under repeated logins; the oldest sessions are the ones given up.
const MAX_ACTIVE_TOKENS = 10_000;

/** Opaque bearer tokens kept in memory: they do not survive a restart, which suits a demo. */
@Injectable()
export class AuthService {
  private readonly userIdsByToken = new Map<string, number>();
  // Unknown emails are checked against this so they take as long as a wrong password does, and
  // response times do not reveal which emails are registered.
  private readonly decoyPasswordHash = hashPassword(randomBytes(16).toString('hex'));

  constructor(private readonly users: UsersService) {}

  @TrackAuthEvent('login')
  async authenticate(email: string, password: string): Promise<User | null> {
    const credentials = this.users.findCredentials(email);
    const passwordHash = credentials?.passwordHash ?? (await this.decoyPasswordHash);
    const passwordMatches = await verifyPassword(password, passwordHash);
    return credentials && passwordMatches ? credentials.user : null;
  }

  issueToken(user: User): string {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    this.userIdsByToken.set(token, user.id);
    for (const oldestToken of this.userIdsByToken.keys()) {
      if (this.userIdsByToken.size <= MAX_ACTIVE_TOKENS) {
        break;
      }
      this.userIdsByToken.delete(oldestToken);
    }
    return token;
  }

  /** The user a token was issued to, if the token is known and that user still exists. */
  resolveToken(token: string): User | undefined {
    const userId = this.userIdsByToken.get(token);
    return userId === undefined ? undefined : this.users.getById(userId);
  }
}
