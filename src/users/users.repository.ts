import { Inject, Injectable } from '@nestjs/common';
import type { Database, Statement } from 'better-sqlite3';
import { DATABASE } from '../database/database.tokens.js';
import { TrackDbOperation } from '../metrics/index.js';
import type { NewUser, UserRow } from './user.model.js';

const USER_COLUMNS = 'id, name, email, password_hash, created_at';

@Injectable()
export class UsersRepository {
  private readonly selectById: Statement<[number], UserRow>;
  private readonly selectByEmail: Statement<[string], UserRow>;
  private readonly insertUser: Statement<[string, string, string], UserRow>;
  private readonly deleteUser: Statement<[number]>;

  constructor(@Inject(DATABASE) database: Database) {
    this.selectById = database.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
    this.selectByEmail = database.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`);
    this.insertUser = database.prepare(
      `INSERT INTO users (name, email, password_hash) VALUES (?, ?, ?) RETURNING ${USER_COLUMNS}`,
    );
    this.deleteUser = database.prepare('DELETE FROM users WHERE id = ?');
  }

  @TrackDbOperation('select', 'users')
  findById(id: number): UserRow | undefined {
    return this.selectById.get(id);
  }

  @TrackDbOperation('select', 'users')
  findByEmail(email: string): UserRow | undefined {
    return this.selectByEmail.get(email);
  }

  /** Throws SQLITE_CONSTRAINT_UNIQUE when the email is taken; see {@link isUniqueViolation}. */
  @TrackDbOperation('insert', 'users')
  insert(user: NewUser): UserRow {
    const row = this.insertUser.get(user.name, user.email, user.passwordHash);
    if (!row) {
      throw new Error('INSERT ... RETURNING produced no row');
    }
    return row;
  }

  @TrackDbOperation('delete', 'users')
  deleteById(id: number): boolean {
    return this.deleteUser.run(id).changes > 0;
  }
}

/**
 * Checks the code, not `instanceof Error`: better-sqlite3 is a native addon loaded once per process, so
 * its SqliteError can extend another realm's Error (Jest runs test files that share a worker process
 * in separate realms, and the first to load the addon owns its classes).
 */
export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}
