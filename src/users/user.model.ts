/** A users row as stored; it carries the password hash and must never leave the service layer. */
export interface UserRow {
  id: number;
  name: string;
  email: string;
  password_hash: string;
  created_at: string;
}

/** What the API exposes about a user. */
export interface User {
  id: number;
  name: string;
  email: string;
  createdAt: string;
}

export interface NewUser {
  name: string;
  email: string;
  passwordHash: string;
}

export function toUser(row: UserRow): User {
  return { id: row.id, name: row.name, email: row.email, createdAt: row.created_at };
}
