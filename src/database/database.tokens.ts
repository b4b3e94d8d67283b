/** Injection token for the shared better-sqlite3 connection. */
export const DATABASE = Symbol('DATABASE');
