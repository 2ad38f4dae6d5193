import type { Queryable } from '../db/database.js';

export interface CodeRow {
  id: number;
  applicationId: number;
  userId: number;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  /** The resource (RFC 8707) it was authorized for; null: none. */
  resource: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

const COLUMNS = `id, application_id AS "applicationId", user_id AS "userId", redirect_uri AS "redirectUri", scopes,
  code_challenge AS "codeChallenge", resource, created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt"`;

export async function insertCode(q: Queryable, codeHash: string, code: Omit<CodeRow, 'id' | 'usedAt'>): Promise<void> {
  await q.query(
    `INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, scopes, code_challenge, resource, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      codeHash,
      code.applicationId,
      code.userId,
      code.redirectUri,
      code.scopes,
      code.codeChallenge,
      code.resource,
      code.createdAt,
      code.expiresAt,
    ],
  );
}

export async function findCode(q: Queryable, codeHash: string): Promise<CodeRow | undefined> {
  const [row] = await q.query<CodeRow>(`SELECT ${COLUMNS} FROM authorization_codes WHERE code_hash = $1`, [codeHash]);
  return row;
}

/**
 * Marks a live code used and returns it; of several racing callers exactly one gets the row,
 * because the row lock makes the others re-check `used_at IS NULL` after the winner commits.
 */
export async function useCode(q: Queryable, id: number, now: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE authorization_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2 RETURNING id`,
    [id, now],
  );
  return rows.length > 0;
}

/** Ends every unused code one user holds for one app (they expire now); returns how many. */
export async function expireUnusedCodes(
  q: Queryable,
  userId: number,
  applicationId: number,
  now: Date,
): Promise<number> {
  const rows = await q.query(
    `UPDATE authorization_codes SET expires_at = $3 WHERE user_id = $1 AND application_id = $2 AND used_at IS NULL AND expires_at > $3 RETURNING id`,
    [userId, applicationId, now],
  );
  return rows.length;
}

export async function deleteExpiredCodes(q: Queryable, before: Date, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM authorization_codes WHERE id IN (SELECT id FROM authorization_codes WHERE expires_at < $1 LIMIT $2) RETURNING id`,
    [before, limit],
  );
  return rows.length;
}
