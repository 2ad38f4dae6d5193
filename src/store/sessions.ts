import type { Queryable } from '../db/database.js';
import type { UserRow } from './users.js';

export async function insertSession(
  q: Queryable,
  session: { sessionHash: string; userId: number; createdAt: Date; expiresAt: Date; address: string | null },
): Promise<void> {
  await q.query(
    `INSERT INTO sessions (session_hash, user_id, created_at, expires_at, address) VALUES ($1, $2, $3, $4, $5)`,
    [session.sessionHash, session.userId, session.createdAt, session.expiresAt, session.address],
  );
}

/** The signed-in user of a live session. */
export async function findSessionUser(q: Queryable, sessionHash: string, now: Date): Promise<UserRow | undefined> {
  const [row] = await q.query<UserRow>(
    `SELECT u.id, u.username, u.email, u.display_name AS "displayName", u.password_hash AS "passwordHash", u.created_at AS "createdAt"
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.session_hash = $1 AND s.expires_at > $2`,
    [sessionHash, now],
  );
  return row;
}

export async function deleteSession(q: Queryable, sessionHash: string): Promise<void> {
  await q.query(`DELETE FROM sessions WHERE session_hash = $1`, [sessionHash]);
}

export async function deleteExpiredSessions(q: Queryable, before: Date, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2) RETURNING id`,
    [before, limit],
  );
  return rows.length;
}
