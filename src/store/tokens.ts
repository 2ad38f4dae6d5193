// The access_tokens table's statements. Those that touch other tables as well (the app a token
// marks used, the code it redeems, its audit row, the client that asks) live in token-grants.ts.
import type { Queryable } from '../db/database.js';

export interface TokenRow {
  id: number;
  applicationId: number;
  userId: number | null;
  scopes: string[];
  /** The resource (RFC 8707) the token is bound to; null: none. */
  resource: string | null;
  familyId: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  refreshExpiresAt: Date | null;
  refreshedAt: Date | null;
  refreshedPair: string | null;
}

export interface NewToken {
  tokenHash: string;
  applicationId: number;
  userId: number | null;
  scopes: string[];
  resource: string | null;
  familyId: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  refreshTokenHash: string | null;
  refreshExpiresAt: Date | null;
}

const COLUMNS = `t.id, t.application_id AS "applicationId", t.user_id AS "userId", t.scopes, t.resource, t.family_id AS "familyId",
  t.created_at AS "createdAt", t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt",
  t.refresh_expires_at AS "refreshExpiresAt", t.refreshed_at AS "refreshedAt", t.refreshed_pair AS "refreshedPair"`;

/** The INSERT of one token row from NewToken's ten fields as $1…$10, returning its id. */
export const INSERT_TOKEN = `INSERT INTO access_tokens (token_hash, application_id, user_id, scopes, family_id, created_at, expires_at, refresh_token_hash, refresh_expires_at, resource)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`;

/** NewToken's fields in the order of INSERT_TOKEN's parameters. */
export function newTokenParams(t: NewToken): unknown[] {
  return [
    t.tokenHash,
    t.applicationId,
    t.userId,
    t.scopes,
    t.familyId,
    t.createdAt,
    t.expiresAt,
    t.refreshTokenHash,
    t.refreshExpiresAt,
    t.resource,
  ];
}

/** Any token, live or not, by its access token or refresh token hash. */
export async function findTokenByAnyHash(q: Queryable, hash: string): Promise<TokenRow | undefined> {
  const [row] = await q.query<TokenRow>(
    `SELECT ${COLUMNS} FROM access_tokens t WHERE t.token_hash = $1
     UNION ALL SELECT ${COLUMNS} FROM access_tokens t WHERE t.refresh_token_hash = $1 LIMIT 1`,
    [hash],
  );
  return row;
}

export async function findTokenByRefreshHash(q: Queryable, refreshHash: string): Promise<TokenRow | undefined> {
  const [row] = await q.query<TokenRow>(`SELECT ${COLUMNS} FROM access_tokens t WHERE t.refresh_token_hash = $1`, [
    refreshHash,
  ]);
  return row;
}

/**
 * Spends a refresh token: of several racing callers exactly one gets true. The encrypted pair
 * it was exchanged for is stored with it so that a retry within the grace window can get it back.
 */
export async function spendRefreshToken(q: Queryable, id: number, now: Date, encryptedPair: string): Promise<boolean> {
  const rows = await q.query(
    `UPDATE access_tokens SET refreshed_at = $2, refreshed_pair = $3
     WHERE id = $1 AND refreshed_at IS NULL AND revoked_at IS NULL AND refresh_expires_at > $2 RETURNING id`,
    [id, now, encryptedPair],
  );
  return rows.length > 0;
}

export async function revokeToken(q: Queryable, id: number, now: Date): Promise<void> {
  await q.query(`UPDATE access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [id, now]);
}

/**
 * Runs a revoking UPDATE until a pass finds nothing left. Under READ COMMITTED, a pass that waited
 * for a concurrent refresh (which had locked a row of the set to spend it) cannot see the token
 * that refresh inserted; the next pass, with a snapshot taken after that commit, can. So stop only
 * at a pass that finds nothing left to revoke.
 */
async function revokeUntilNone(q: Queryable, sql: string, params: unknown[]): Promise<number> {
  let total = 0;
  for (;;) {
    const revoked = (await q.query(sql, params)).length;
    if (revoked === 0) return total;
    total += revoked;
  }
}

/** Revokes every token of one family (all descend from one authorization). */
export async function revokeFamily(q: Queryable, familyId: number, now: Date): Promise<number> {
  return revokeUntilNone(
    q,
    `UPDATE access_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL RETURNING id`,
    [familyId, now],
  );
}

/** Revokes every token one user holds for one app. */
export async function revokeUserApplicationTokens(
  q: Queryable,
  userId: number,
  applicationId: number,
  now: Date,
): Promise<number> {
  return revokeUntilNone(
    q,
    `UPDATE access_tokens SET revoked_at = $3 WHERE user_id = $1 AND application_id = $2 AND revoked_at IS NULL RETURNING id`,
    [userId, applicationId, now],
  );
}

/**
 * Scope sets of the user's live tokens for one app (for remembered consent) that are bound to this
 * resource or to none (a token bound to none is usable everywhere, so it covers any one resource).
 */
export async function liveScopeSets(
  q: Queryable,
  userId: number,
  applicationId: number,
  resource: string | null,
  now: Date,
): Promise<string[][]> {
  const rows = await q.query<{ scopes: string[] }>(
    `SELECT scopes FROM access_tokens
     WHERE user_id = $1 AND application_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)
       AND (resource IS NULL OR resource = $4)`,
    [userId, applicationId, now, resource],
  );
  return rows.map((r) => r.scopes);
}

/**
 * Deletes up to `limit` tokens that can never be used again: revoked, or past both their
 * access and refresh expiry, before `before`.
 */
export async function deleteDeadTokens(q: Queryable, before: Date, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM access_tokens WHERE id IN (
       SELECT id FROM access_tokens
       WHERE revoked_at < $1
          OR (expires_at < $1 AND (refresh_expires_at IS NULL OR refresh_expires_at < $1))
       LIMIT $2)
     RETURNING id`,
    [before, limit],
  );
  return rows.length;
}

/** What a bearer check needs of a live token. */
export interface LiveToken {
  applicationId: number;
  userId: number | null;
  scopes: string[];
  resource: string | null;
  createdAt: Date;
  expiresAt: Date | null;
}

// Only the token's own row, by its unique index: the hot path of every bearer check.
export const LIVE_TOKEN = `SELECT t.application_id AS "applicationId", t.user_id AS "userId", t.scopes, t.resource, t.created_at AS "createdAt", t.expires_at AS "expiresAt"
     FROM access_tokens t
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)`;

/** A token that is neither revoked nor expired at `now`, or undefined. */
export async function findLiveToken(q: Queryable, tokenHash: string, now: Date): Promise<LiveToken | undefined> {
  const [row] = await q.query<LiveToken>(LIVE_TOKEN, [tokenHash, now]);
  return row;
}
