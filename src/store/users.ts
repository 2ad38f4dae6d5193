import type { Queryable } from '../db/database.js';

export interface UserRow {
  id: number;
  username: string;
  email: string;
  displayName: string;
  passwordHash: string;
  createdAt: Date;
}

const COLUMNS = `id, username, email, display_name AS "displayName", password_hash AS "passwordHash", created_at AS "createdAt"`;

export class DuplicateUserError extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} is already taken`);
  }
}

export async function insertUser(
  q: Queryable,
  user: Pick<UserRow, 'username' | 'email' | 'displayName' | 'passwordHash' | 'createdAt'>,
): Promise<UserRow> {
  try {
    const [row] = await q.query<UserRow>(
      `INSERT INTO users (username, email, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [user.username, user.email, user.displayName, user.passwordHash, user.createdAt],
    );
    return row!;
  } catch (err) {
    const constraint = (err as { constraint?: string; code?: string }).constraint ?? String((err as Error).message);
    if ((err as { code?: string }).code === '23505' || /duplicate key/.test(String((err as Error).message))) {
      throw new DuplicateUserError(/email/.test(constraint) ? 'email' : 'username');
    }
    throw err;
  }
}

/** Finds a user by user name or e-mail address, ignoring case. */
export async function findUserByLogin(q: Queryable, login: string): Promise<UserRow | undefined> {
  const [row] = await q.query<UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1`,
    [login],
  );
  return row;
}

/** Replaces a user's password hash, only if it is still `previous` (a concurrent change wins). */
export async function replacePasswordHash(q: Queryable, id: number, previous: string, next: string): Promise<void> {
  await q.query(`UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [id, previous, next]);
}

export async function listUsers(q: Queryable): Promise<UserRow[]> {
  return q.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY id`);
}

/** Deletes the user; their codes, tokens and sessions go with them (ON DELETE CASCADE). */
export async function deleteUser(q: Queryable, username: string): Promise<boolean> {
  const rows = await q.query(`DELETE FROM users WHERE lower(username) = lower($1) RETURNING id`, [username]);
  return rows.length > 0;
}

export async function countUsers(q: Queryable): Promise<number> {
  const [row] = await q.query<{ count: number }>(`SELECT count(*)::int AS count FROM users`);
  return row!.count;
}
