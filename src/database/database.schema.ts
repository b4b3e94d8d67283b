import type { Database } from 'better-sqlite3';
import { hashPassword } from '../users/password.util.js';

// NOCASE on email keeps "Demo@Example.com" and "demo@example.com" from becoming two accounts.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT UNIQUE NOT NULL COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
`;

/** Credentials that exist on every fresh database so the login flow can be tried right away. */
export const DEMO_USER = {
  name: 'Demo User',
  email: 'demo@example.com',
  password: 'demo-password',
} as const;

export async function applySchema(database: Database): Promise<void> {
  database.exec(SCHEMA);
  await seedDemoUser(database);
}

async function seedDemoUser(database: Database): Promise<void> {
  const existing = database.prepare('SELECT 1 FROM users WHERE email = ?').get(DEMO_USER.email);
  if (existing) {
    return;
  }
  const passwordHash = await hashPassword(DEMO_USER.password);
  // OR IGNORE: another process sharing the file may have seeded it while we were hashing.
  database
    .prepare('INSERT OR IGNORE INTO users (name, email, password_hash) VALUES (?, ?, ?)')
    .run(DEMO_USER.name, DEMO_USER.email, passwordHash);
}
