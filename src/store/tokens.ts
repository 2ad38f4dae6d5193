import type { Queryable } from '../db/database.js';
import type { AuditEvent } from './audit.js';

export interface TokenRow {
  id: number;
  applicationId: number;
  userId: number | null;
  scopes: string[];
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
  familyId: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  refreshTokenHash: string | null;
  refreshExpiresAt: Date | null;
}

const COLUMNS = `t.id, t.application_id AS "applicationId", t.user_id AS "userId", t.scopes, t.family_id AS "familyId",
  t.created_at AS "createdAt", t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt",
  t.refresh_expires_at AS "refreshExpiresAt", t.refreshed_at AS "refreshedAt", t.refreshed_pair AS "refreshedPair"`;

const INSERT_TOKEN = `INSERT INTO access_tokens (token_hash, application_id, user_id, scopes, family_id, created_at, expires_at, refresh_token_hash, refresh_expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`;
// The first token an app gets marks it as used (housekeeping keeps used apps); later ones change nothing.
const MARK_USED = `UPDATE applications SET first_used_at = $6 WHERE id = $2 AND first_used_at IS NULL`;

/**
 * Stores a new token, marks its app as used and, when given, writes the audit row that records it:
 * one statement, so all or nothing without a transaction and one round trip instead of four.
 */
export async function insertIssuedToken(q: Queryable, token: NewToken, audit: AuditEvent | null): Promise<number> {
  const params = [token.tokenHash, token.applicationId, token.userId, token.scopes, token.familyId, token.createdAt, token.expiresAt, token.refreshTokenHash, token.refreshExpiresAt];
  const [row] = audit
    ? await q.query<{ id: number }>(
        `WITH t AS (${INSERT_TOKEN}), a AS (${MARK_USED}),
              e AS (INSERT INTO audit_events (at, event, client_id, user_id, username, address, detail)
                     VALUES ($6, $10, $11, $15, COALESCE($12, (SELECT username FROM users WHERE id = $15)), $13, $14))
         SELECT id FROM t`,
        [...params, audit.event, audit.clientId ?? null, audit.username ?? null, audit.address ?? null, audit.detail ? JSON.stringify(audit.detail) : null, audit.userId ?? null],
      )
    : await q.query<{ id: number }>(`WITH t AS (${INSERT_TOKEN}), a AS (${MARK_USED}) SELECT id FROM t`, params);
  return row!.id;
}

export interface ClientToken {
  clientId: string;
  clientSecretHash: string;
  tokenHash: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  address: string | null;
  auditDetail: Record<string, unknown>;
}

/**
 * client_credentials in one plain statement for the common case: an app that has had a token
 * before and holds the wanted scopes as such. The token and its audit row are stored only when the
 * client id, secret digest and scopes match; undefined when nothing was stored. Kept to an
 * INSERT … SELECT on purpose: a CTE of the app that also reports why, or an UPDATE that marks a
 * first use, makes Postgres set up several more plan nodes on every execution (measured at about
 * a fifth more database CPU per token).
 */
export async function issueClientTokenToUsedApp(q: Queryable, t: ClientToken): Promise<number | undefined> {
  const [row] = await q.query<{ id: number }>(
    `WITH t AS (
       INSERT INTO access_tokens (token_hash, application_id, scopes, created_at, expires_at)
       SELECT $3, id, $4, $5, $6 FROM applications
       WHERE client_id = $1 AND client_secret_hash = $2 AND scopes @> $4::text[] AND first_used_at IS NOT NULL
       RETURNING id),
     e AS (INSERT INTO audit_events (at, event, client_id, address, detail) SELECT $5, 'token.issued', $1, $7, $8 FROM t)
     SELECT id FROM t`,
    [t.clientId, t.clientSecretHash, t.tokenHash, t.scopes, t.createdAt, t.expiresAt, t.address, JSON.stringify(t.auditDetail)],
  );
  return row?.id;
}

export interface CodeRedemption {
  codeHash: string;
  /** The calling client, and the digest of the secret it sent: a code redeems only for its own client. */
  clientId: string;
  clientSecretHash: string;
  redirectUri: string;
  /** The verifier as sent (only whether one was sent matters here) and the S256 challenge it hashes to. */
  verifier: string | null;
  verifierChallenge: string | null;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date | null;
  refreshTokenHash: string | null;
  refreshExpiresAt: Date | null;
  address: string | null;
}

/**
 * The authorization_code exchange in one statement for an app that has had a token before: a
 * live code of that client, redirect URI and PKCE verifier is used up, its token stored and the
 * audit row written. Of racing callers one wins (the row lock). Undefined when nothing was
 * redeemed: the caller then finds out why (a bad client, an unknown, expired or mismatched code, a
 * replay that must revoke) or, for an app's first token, redeems it in a transaction that also
 * marks the app used. No UPDATE of the app here, for the plan-setup cost told at issueClientTokenToUsedApp.
 */
export async function redeemCodeForToken(q: Queryable, r: CodeRedemption): Promise<{ id: number; userId: number; username: string; scopes: string[] } | undefined> {
  const [row] = await q.query<{ id: number; userId: number; username: string; scopes: string[] }>(
    `WITH c AS (
       UPDATE authorization_codes SET used_at = $1
       WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 AND redirect_uri = $4
         AND application_id = (SELECT id FROM applications WHERE client_id = $11 AND client_secret_hash = $3 AND first_used_at IS NOT NULL)
         AND CASE WHEN code_challenge IS NULL THEN $5::text IS NULL ELSE code_challenge = $6 END
       RETURNING id, application_id, user_id, scopes),
     t AS (
       INSERT INTO access_tokens (token_hash, application_id, user_id, scopes, family_id, created_at, expires_at, refresh_token_hash, refresh_expires_at)
       SELECT $7, application_id, user_id, scopes, id, $1, $8, $9, $10 FROM c RETURNING id, user_id, scopes),
     e AS (
       INSERT INTO audit_events (at, event, client_id, user_id, username, address, detail)
       SELECT $1, 'token.issued', $11, t.user_id, u.username, $12, jsonb_build_object('grant', 'authorization_code', 'scopes', to_jsonb(t.scopes))
       FROM t JOIN users u ON u.id = t.user_id
       RETURNING username)
     SELECT t.id, t.user_id AS "userId", t.scopes, (SELECT username FROM e) AS username FROM t`,
    [r.createdAt, r.codeHash, r.clientSecretHash, r.redirectUri, r.verifier, r.verifierChallenge, r.tokenHash, r.expiresAt, r.refreshTokenHash, r.refreshExpiresAt, r.clientId, r.address],
  );
  return row;
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
  const [row] = await q.query<TokenRow>(`SELECT ${COLUMNS} FROM access_tokens t WHERE t.refresh_token_hash = $1`, [refreshHash]);
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
  return revokeUntilNone(q, `UPDATE access_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL RETURNING id`, [familyId, now]);
}

/** Revokes every token one user holds for one app. */
export async function revokeUserApplicationTokens(q: Queryable, userId: number, applicationId: number, now: Date): Promise<number> {
  return revokeUntilNone(
    q,
    `UPDATE access_tokens SET revoked_at = $3 WHERE user_id = $1 AND application_id = $2 AND revoked_at IS NULL RETURNING id`,
    [userId, applicationId, now],
  );
}

/** Scope sets of the user's live tokens for one app (for remembered consent). */
export async function liveScopeSets(q: Queryable, userId: number, applicationId: number, now: Date): Promise<string[][]> {
  const rows = await q.query<{ scopes: string[] }>(
    `SELECT scopes FROM access_tokens
     WHERE user_id = $1 AND application_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)`,
    [userId, applicationId, now],
  );
  return rows.map((r) => r.scopes);
}

export interface GrantSummary {
  applicationId: number;
  clientId: string;
  name: string;
  website: string | null;
  scopes: string[];
  firstAuthorizedAt: Date;
  lastAuthorizedAt: Date;
}

/** The apps a user holds live tokens for, with the union of granted scopes. */
export async function listUserGrants(q: Queryable, userId: number, now: Date): Promise<GrantSummary[]> {
  return q.query<GrantSummary>(
    `SELECT a.id AS "applicationId", a.client_id AS "clientId", a.name, a.website,
            array_agg(DISTINCT s.scope ORDER BY s.scope) AS scopes,
            min(t.created_at) AS "firstAuthorizedAt", max(t.created_at) AS "lastAuthorizedAt"
     FROM access_tokens t JOIN applications a ON a.id = t.application_id
     CROSS JOIN LATERAL unnest(t.scopes) AS s(scope)
     WHERE t.user_id = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
     GROUP BY a.id ORDER BY a.name, a.id`,
    [userId, now],
  );
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
  createdAt: Date;
  expiresAt: Date | null;
}

// Only the token's own row, by its unique index: the hot path of every bearer check.
const LIVE_TOKEN = `SELECT t.application_id AS "applicationId", t.user_id AS "userId", t.scopes, t.created_at AS "createdAt", t.expires_at AS "expiresAt"
     FROM access_tokens t
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)`;

/** A token that is neither revoked nor expired at `now`, or undefined. */
export async function findLiveToken(q: Queryable, tokenHash: string, now: Date): Promise<LiveToken | undefined> {
  const [row] = await q.query<LiveToken>(LIVE_TOKEN, [tokenHash, now]);
  return row;
}

/** The app and (for user tokens) the user a token was issued to, as a bearer check shows them. */
export interface TokenOwner {
  clientId: string;
  appName: string;
  appWebsite: string | null;
  appRedirectUris: string[];
  appScopes: string[];
  username: string | null;
  displayName: string | null;
  userCreatedAt: Date | null;
}

export async function findTokenOwner(q: Queryable, applicationId: number, userId: number | null): Promise<TokenOwner | undefined> {
  const [row] = await q.query<TokenOwner>(
    `SELECT a.client_id AS "clientId", a.name AS "appName", a.website AS "appWebsite", a.redirect_uris AS "appRedirectUris",
            a.scopes AS "appScopes", u.username, u.display_name AS "displayName", u.created_at AS "userCreatedAt"
     FROM applications a LEFT JOIN users u ON u.id = $2
     WHERE a.id = $1`,
    [applicationId, userId],
  );
  return row;
}

export interface CallerAndToken {
  secretOk: boolean;
  callerId: number;
  callerResourceServer: boolean;
  token: LiveToken | undefined;
}

/**
 * The calling client (is its secret digest right?) and a live token, in one round trip (the
 * introspection hot path). Undefined when no such client exists.
 */
export async function findCallerAndLiveToken(
  q: Queryable,
  clientId: string,
  clientSecretHash: string,
  tokenHash: string | null,
  now: Date,
): Promise<CallerAndToken | undefined> {
  const [row] = await q.query<Nullable<LiveToken> & { secretOk: boolean; callerId: number; callerResourceServer: boolean }>(
    `SELECT c.client_secret_hash = $3 AS "secretOk", c.id AS "callerId", c.resource_server AS "callerResourceServer", o.*
     FROM applications c LEFT JOIN LATERAL (${LIVE_TOKEN}) o ON true
     WHERE c.client_id = $4`,
    [tokenHash, now, clientSecretHash, clientId],
  );
  if (!row) return undefined;
  const { secretOk, callerId, callerResourceServer, ...token } = row;
  return { secretOk, callerId, callerResourceServer, token: token.applicationId === null ? undefined : (token as LiveToken) };
}

/** A row of a LEFT JOIN that found nothing: every column NULL. */
type Nullable<T> = { [K in keyof T]: T[K] | null };
