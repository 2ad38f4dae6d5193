// Statements that touch access_tokens together with other tables (the app it marks used, the code
// it redeems, the audit row that records it, the client that asks). Each is one statement, so it is
// all or nothing without a transaction and costs one round trip. Event names and audit details come
// in as parameters: what they mean is the services' business. Over 200 lines because each hot
// statement carries its reasons (plan cost, races) beside it; splitting them would part the
// statements from the shared token and audit fragments they are built from.
import type { Queryable } from '../db/database.js';
import { auditParams, auditValues, INSERT_AUDIT_EVENT, type AuditEvent } from './audit.js';
import { INSERT_TOKEN, LIVE_TOKEN, newTokenParams, type LiveToken, type NewToken } from './tokens.js';

// The first token an app gets marks it as used (housekeeping keeps used apps); later ones change nothing.
const MARK_USED = `UPDATE applications SET first_used_at = $6 WHERE id = $2 AND first_used_at IS NULL`;

/**
 * Stores a new token, marks its app as used and, when given, writes the audit row that records it
 * (at the token's creation time).
 */
export async function insertIssuedToken(q: Queryable, token: NewToken, audit: AuditEvent | null): Promise<number> {
  const params = newTokenParams(token);
  const [row] = audit
    ? await q.query<{ id: number }>(
        `WITH t AS (${INSERT_TOKEN}), a AS (${MARK_USED}), e AS (${INSERT_AUDIT_EVENT} VALUES ${auditValues(11)}) SELECT id FROM t`,
        [...params, ...auditParams(token.createdAt, audit)],
      )
    : await q.query<{ id: number }>(`WITH t AS (${INSERT_TOKEN}), a AS (${MARK_USED}) SELECT id FROM t`, params);
  return row!.id;
}

export interface ClientToken {
  clientId: string;
  clientSecretHash: string;
  tokenHash: string;
  scopes: string[];
  /** The resource (RFC 8707) the token is for; stored only when someone registered it. */
  resource: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  /** The audit row written with the token (its time is the token's, its client the caller). */
  audit: { event: string; address: string | null; detail: Record<string, unknown> };
}

// The app may use client_credentials: any app but an RFC 7591 client that did not register for it.
const MAY_USE_CLIENT_CREDENTIALS = `(grant_types IS NULL OR 'client_credentials' = ANY (grant_types))`;

/**
 * A token of the app itself (no user) in one plain statement, for the common case: an app that has
 * had a token before and holds the wanted scopes as such. The token and its audit row are stored
 * only when the client id, secret digest, grant, scopes and resource check out; undefined when
 * nothing was stored. Kept to an INSERT … SELECT on purpose: a CTE of the app that also reports why,
 * or an UPDATE that marks a first use, makes Postgres set up several more plan nodes on every
 * execution (measured at about a fifth more database CPU per token). For the same reason a token
 * without a resource gets a statement without the resource's subquery.
 */
export async function issueClientTokenToUsedApp(q: Queryable, t: ClientToken): Promise<number | undefined> {
  const resourceKnown = t.resource === null ? '' : 'AND EXISTS (SELECT 1 FROM resources WHERE uri = $10)';
  const [row] = await q.query<{ id: number }>(
    `WITH t AS (
       INSERT INTO access_tokens (token_hash, application_id, scopes, created_at, expires_at, resource)
       SELECT $3, id, $4, $5, $6, $10 FROM applications
       WHERE client_id = $1 AND client_secret_hash = $2 AND scopes @> $4::text[] AND first_used_at IS NOT NULL
         AND ${MAY_USE_CLIENT_CREDENTIALS} ${resourceKnown}
       RETURNING id),
     e AS (${INSERT_AUDIT_EVENT} SELECT $5, $9, $1, NULL, NULL, $7, $8 FROM t)
     SELECT id FROM t`,
    [
      t.clientId,
      t.clientSecretHash,
      t.tokenHash,
      t.scopes,
      t.createdAt,
      t.expiresAt,
      t.audit.address,
      JSON.stringify(t.audit.detail),
      t.audit.event,
      t.resource,
    ],
  );
  return row?.id;
}

export interface CodeRedemption {
  codeHash: string;
  /** The calling client, and the digest of the secret it sent (null: a public client): a code redeems only for its own client. */
  clientId: string;
  clientSecretHash: string | null;
  redirectUri: string;
  /** The verifier as sent (only whether one was sent matters here) and the S256 challenge it hashes to. */
  verifier: string | null;
  verifierChallenge: string | null;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date | null;
  refreshTokenHash: string | null;
  refreshExpiresAt: Date | null;
  /** The resource the client names at the token endpoint: must be the code's, when given. */
  resource: string | null;
  /** The audit row written with the token; the code's scopes (and resource) are added to its detail. */
  audit: { event: string; address: string | null; detail: Record<string, unknown> };
}

export interface RedeemedCode {
  id: number;
  userId: number;
  username: string;
  scopes: string[];
  resource: string | null;
}

/**
 * A code exchanged for a token in one statement, for an app that has had a token before: a live code
 * of that client, redirect URI, PKCE verifier and resource is used up, its token stored (bound to the
 * code's resource) and the audit row written. A public client (no secret digest) redeems only a code
 * with a PKCE challenge. Of racing callers one wins (the row lock). Undefined when nothing was redeemed: the caller
 * then finds out why. No UPDATE of the app here, for the plan-setup cost told at issueClientTokenToUsedApp.
 */
export async function redeemCodeForToken(q: Queryable, r: CodeRedemption): Promise<RedeemedCode | undefined> {
  const [row] = await q.query<RedeemedCode>(
    `WITH c AS (
       UPDATE authorization_codes SET used_at = $1
       WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 AND redirect_uri = $4
         AND application_id = (SELECT id FROM applications WHERE client_id = $11 AND client_secret_hash IS NOT DISTINCT FROM $3 AND first_used_at IS NOT NULL)
         AND CASE WHEN code_challenge IS NULL THEN $5::text IS NULL AND $3::text IS NOT NULL ELSE code_challenge = $6 END
         AND ($15::text IS NULL OR resource = $15)
       RETURNING id, application_id, user_id, scopes, resource),
     t AS (
       INSERT INTO access_tokens (token_hash, application_id, user_id, scopes, family_id, created_at, expires_at, refresh_token_hash, refresh_expires_at, resource)
       SELECT $7, application_id, user_id, scopes, id, $1, $8, $9, $10, resource FROM c RETURNING id, user_id, scopes, resource),
     e AS (
       ${INSERT_AUDIT_EVENT}
       SELECT $1, $13, $11, t.user_id, u.username, $12,
         $14::jsonb || jsonb_strip_nulls(jsonb_build_object('scopes', to_jsonb(t.scopes), 'resource', t.resource))
       FROM t JOIN users u ON u.id = t.user_id
       RETURNING username)
     SELECT t.id, t.user_id AS "userId", t.scopes, t.resource, (SELECT username FROM e) AS username FROM t`,
    [
      r.createdAt,
      r.codeHash,
      r.clientSecretHash,
      r.redirectUri,
      r.verifier,
      r.verifierChallenge,
      r.tokenHash,
      r.expiresAt,
      r.refreshTokenHash,
      r.refreshExpiresAt,
      r.clientId,
      r.audit.address,
      r.audit.event,
      JSON.stringify(r.audit.detail),
      r.resource,
    ],
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
  const [row] = await q.query<
    Nullable<LiveToken> & { secretOk: boolean; callerId: number; callerResourceServer: boolean }
  >(
    `SELECT c.client_secret_hash = $3 AS "secretOk", c.id AS "callerId", c.resource_server AS "callerResourceServer", o.*
     FROM applications c LEFT JOIN LATERAL (${LIVE_TOKEN}) o ON true
     WHERE c.client_id = $4`,
    [tokenHash, now, clientSecretHash, clientId],
  );
  if (!row) return undefined;
  const { secretOk, callerId, callerResourceServer, ...token } = row;
  return {
    secretOk,
    callerId,
    callerResourceServer,
    token: token.applicationId === null ? undefined : (token as LiveToken),
  };
}

/** A row of a LEFT JOIN that found nothing: every column NULL. */
type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The app and (for user tokens) the user a token was issued to, as a bearer check shows them. */
export interface TokenOwner {
  app: { id: number; clientId: string; name: string; website: string | null; redirectUris: string[]; scopes: string[] };
  /** Null for an app's own token, and for a user deleted since the token was read. */
  user: { id: number; username: string; displayName: string | null; createdAt: Date } | null;
}

export async function findTokenOwner(
  q: Queryable,
  applicationId: number,
  userId: number | null,
): Promise<TokenOwner | undefined> {
  const [row] = await q.query<
    TokenOwner['app'] & {
      userId: number | null;
      username: string | null;
      displayName: string | null;
      userCreatedAt: Date | null;
    }
  >(
    `SELECT a.id, a.client_id AS "clientId", a.name, a.website, a.redirect_uris AS "redirectUris", a.scopes,
            u.id AS "userId", u.username, u.display_name AS "displayName", u.created_at AS "userCreatedAt"
     FROM applications a LEFT JOIN users u ON u.id = $2
     WHERE a.id = $1`,
    [applicationId, userId],
  );
  if (!row) return undefined;
  const { userId: id, username, displayName, userCreatedAt, ...app } = row;
  return { app, user: id === null ? null : { id, username: username!, displayName, createdAt: userCreatedAt! } };
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
