import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { applySchema } from './database.schema.js';

export const IN_MEMORY_DATABASE = ':memory:';

export async function openDatabase(location: string): Promise<Database> {
  if (location !== IN_MEMORY_DATABASE) {
    mkdirSync(dirname(resolve(location)), { recursive: true });
  }
  const database = new BetterSqlite3(location);
  try {
    // WAL lets the health check and request handlers read while a write is in progress.
    database.pragma('journal_mode = WAL');
    await applySchema(database);
    return database;
  } catch (error) {
    database.close();
    throw error;
  }
}
