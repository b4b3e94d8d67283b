import { ConflictException, Injectable } from '@nestjs/common';
import { CacheService } from '../cache/cache.service.js';
import { TrackCache } from '../metrics/index.js';
import { EmailQueue } from '../queue/email.queue.js';
import { hashPassword } from './password.util.js';
import { toUser, type User } from './user.model.js';
import { isUniqueViolation, UsersRepository } from './users.repository.js';
import { WelcomeEmailService } from './welcome-email.service.js';

export interface CreateUserInput {
  name: string;
  email: string;
  password: string;
}

export interface UserCredentials {
  user: User;
  passwordHash: string;
}

const userCacheKey = (id: number): string => `user:${id}`;

@Injectable()
export class UsersService {
  constructor(
    private readonly repository: UsersRepository,
    private readonly cache: CacheService,
    private readonly emailQueue: EmailQueue,
    private readonly welcomeEmail: WelcomeEmailService,
  ) {}

  getById(id: number): User | undefined {
    const cached = this.findCachedUser(id);
    if (cached) {
      return cached;
    }
    const row = this.repository.findById(id);
    if (!row) {
      return undefined;
    }
    const user = toUser(row);
    this.cache.set(userCacheKey(id), user);
    return user;
  }

  findCredentials(email: string): UserCredentials | undefined {
    const row = this.repository.findByEmail(email);
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  async create(input: CreateUserInput): Promise<User> {
    const passwordHash = await hashPassword(input.password);
    let user: User;
    try {
      user = toUser(this.repository.insert({ name: input.name, email: input.email, passwordHash }));
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException('Email is already registered');
      }
      throw error;
    }
    this.emailQueue.enqueue({
      description: `welcome email for user ${user.id}`,
      run: () => this.welcomeEmail.send(user),
    });
    return user;
  }

  delete(id: number): boolean {
    const deleted = this.repository.deleteById(id);
    this.cache.delete(userCacheKey(id));
    return deleted;
  }

  @TrackCache('users', { operation: 'get' })
  private findCachedUser(id: number): User | undefined {
    return this.cache.get<User>(userCacheKey(id));
  }
}
