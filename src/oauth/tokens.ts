import type { Queryable } from '../db/database.js';
import type { Deps } from '../deps.js';
import {
  describe,
  invalidClient,
  invalidGrant,
  invalidScope,
  invalidToken,
  missingParameter,
  OAuthError,
} from '../errors.js';
import { hashSecret, openWithSecret, randomToken, sealWithSecret } from '../secrets.js';
import type { AuditEvent } from '../store/audit.js';
import type { ApplicationRow } from '../store/applications.js';
import { findCode, useCode } from '../store/codes.js';
import {
  findCallerAndLiveToken,
  findLiveToken,
  findTokenByAnyHash,
  findTokenByRefreshHash,
  insertIssuedToken,
  issueClientTokenToUsedApp,
  redeemCodeForToken,
  revokeFamily,
  revokeToken,
  spendRefreshToken,
  type LiveToken,
} from '../store/tokens.js';
import { logEvent, recordEvent, type AuditEventName } from './audit.js';
import { authenticateClient, pickCredentials, type ClientCredentials } from './clients.js';
import { challengeOf, verifierMatches } from './pkce.js';
import { coversAll, DEFAULT_SCOPE, parseScopes } from './scopes.js';
import { withOwner, type TokenWithOwner } from './token-owners.js';

/** The token endpoint's answer (Mastodon's Token entity, plus the RFC 6749 extras when on). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  scope: string;
  created_at: number;
  expires_in?: number;
  refresh_token?: string;
}

interface Issue {
  app: ApplicationRow;
  userId: number | null;
  scopes: string[];
  familyId: number | null;
  withRefresh: boolean;
  /** The audit event, written by the same statement as the token (none when the caller records it later). */
  audit?: AuditEvent & { event: AuditEventName };
}

/**
 * A fresh access token (and a refresh token when asked for and ACCESS_TOKEN_TTL is set): what is
 * stored of it (hashes and times, never the tokens) and the token endpoint's answer that hands it out.
 */
function mint(deps: Pick<Deps, 'clock' | 'config'>, withRefresh: boolean) {
  const now = deps.clock();
  const ttl = deps.config.accessTokenTtl;
  const accessToken = randomToken();
  const refreshToken = withRefresh && ttl !== undefined ? randomToken() : undefined;
  return {
    now,
    tokenHash: hashSecret(accessToken),
    expiresAt: ttl === undefined ? null : new Date(now.getTime() + ttl * 1000),
    refreshTokenHash: refreshToken ? hashSecret(refreshToken) : null,
    refreshExpiresAt: refreshToken ? new Date(now.getTime() + deps.config.refreshTokenTtl * 1000) : null,
    response(scopes: string[]): TokenResponse {
      const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', scope: scopes.join(' '), created_at: Math.floor(now.getTime() / 1000) };
      if (ttl !== undefined) response.expires_in = ttl;
      if (refreshToken) response.refresh_token = refreshToken;
      return response;
    },
  };
}

/** Mints an access token (and a refresh token when asked) and stores only their hashes. */
async function issue(deps: Deps, q: Queryable, what: Issue): Promise<{ id: number; response: TokenResponse }> {
  const token = mint(deps, what.withRefresh);
  const id = await insertIssuedToken(q, {
    tokenHash: token.tokenHash,
    applicationId: what.app.id,
    userId: what.userId,
    scopes: what.scopes,
    familyId: what.familyId,
    createdAt: token.now,
    expiresAt: token.expiresAt,
    refreshTokenHash: token.refreshTokenHash,
    refreshExpiresAt: token.refreshExpiresAt,
  }, what.audit ?? null);
  if (what.audit) logEvent(deps, what.audit);
  return { id, response: token.response(what.scopes) };
}

/** Requested scopes (default `read`) that the app may have, or invalid_scope. */
function grantableScopes(deps: Pick<Deps, 'scopes'>, app: ApplicationRow, requested: string | undefined): string[] {
  const scopes = parseScopes(requested || DEFAULT_SCOPE);
  if (!scopes || scopes.length === 0 || !coversAll(app.scopes, scopes) || !scopes.every((s) => deps.scopes.isKnown(s))) {
    throw invalidScope();
  }
  return scopes;
}

export async function clientCredentialsGrant(
  deps: Deps,
  app: ApplicationRow,
  params: { scope?: string | undefined },
  address: string | null = null,
): Promise<TokenResponse> {
  const scopes = grantableScopes(deps, app, params.scope);
  // One statement (token, app marked used, audit row): atomic without a transaction.
  const audit = { event: 'token.issued', clientId: app.clientId, address, detail: { grant: 'client_credentials', scopes } } as const;
  const { response } = await issue(deps, deps.db, { app, userId: null, scopes, familyId: null, withRefresh: false, audit });
  return response;
}

/**
 * client_credentials straight from the request's credentials. Most requests come from apps that
 * have had tokens before and ask for scopes they hold as such: one statement checks the client and
 * scopes and stores the token and its audit row. Anything else (an app's first token, a scope
 * granted by its prefix, a bad client, bad scopes) takes the ordinary path, which says which.
 */
export async function clientCredentialsGrantFor(
  deps: Deps,
  credentials: ClientCredentials,
  params: { scope?: string | undefined },
  address: string | null = null,
): Promise<TokenResponse> {
  const picked = pickCredentials(credentials);
  if (!picked) throw invalidClient();
  const scopes = parseScopes(params.scope || DEFAULT_SCOPE);
  if (scopes && scopes.length > 0 && scopes.every((s) => deps.scopes.isKnown(s))) {
    const token = mint(deps, false);
    const detail = { grant: 'client_credentials', scopes };
    const id = await issueClientTokenToUsedApp(deps.db, {
      clientId: picked.clientId,
      // digests compared, not secrets: the time taken says nothing about the stored secret
      clientSecretHash: hashSecret(picked.clientSecret),
      tokenHash: token.tokenHash,
      scopes,
      createdAt: token.now,
      expiresAt: token.expiresAt,
      address,
      auditDetail: detail,
    });
    if (id !== undefined) {
      logEvent(deps, { event: 'token.issued', clientId: picked.clientId, address, detail });
      return token.response(scopes);
    }
  }
  return clientCredentialsGrant(deps, await authenticateClient(deps, credentials), params, address);
}

/**
 * Exchanges a code, straight from the request's credentials. The happy path of an app that has had
 * tokens before is one statement (client check, code used up, token, audit row); anything else,
 * an app's first token included, takes the careful path, which reports a bad client first and then
 * why the code did not redeem.
 */
export async function authorizationCodeGrantFor(
  deps: Deps,
  credentials: ClientCredentials,
  params: CodeParams,
  address: string | null = null,
): Promise<TokenResponse> {
  const picked = pickCredentials(credentials);
  if (!picked) throw invalidClient();
  if (params.code && params.redirect_uri) {
    const redeemed = await redeemInOneStatement(deps, picked, hashSecret(params.code), params.redirect_uri, params.code_verifier, address);
    if (redeemed) return redeemed;
  }
  return authorizationCodeGrant(deps, await authenticateClient(deps, credentials), params, address);
}

interface CodeParams {
  code?: string | undefined;
  redirect_uri?: string | undefined;
  code_verifier?: string | undefined;
}

/**
 * Exchanges a code of a known client, in a transaction that finds out why a code does not redeem.
 * A code works once: the UPDATE in useCode lets exactly one racing caller through; any other use
 * (later or concurrent) revokes every token issued from the code (RFC 6749 §4.1.2). Wrong client,
 * redirect URI or verifier does not use the code up.
 */
async function authorizationCodeGrant(deps: Deps, app: ApplicationRow, params: CodeParams, address: string | null): Promise<TokenResponse> {
  if (!params.code) throw missingParameter('code');
  if (!params.redirect_uri) throw missingParameter('redirect_uri');
  const codeHash = hashSecret(params.code);
  const outcome = await deps.db.transaction(async (tx) => {
    const now = deps.clock();
    const code = await findCode(tx, codeHash);
    if (!code) return 'invalid' as const;
    // only the code's own client replaying it revokes: another client cannot end a stranger's grant
    if (code.usedAt) return code.applicationId === app.id ? replayed(tx, code.id, code.userId) : ('invalid' as const);
    if (code.expiresAt <= now || code.applicationId !== app.id || code.redirectUri !== params.redirect_uri) return 'invalid' as const;
    if (code.codeChallenge ? !params.code_verifier || !verifierMatches(params.code_verifier, code.codeChallenge) : params.code_verifier !== undefined) {
      return 'invalid' as const;
    }
    if (!(await useCode(tx, code.id, now))) return replayed(tx, code.id, code.userId); // lost a race
    const audit = { event: 'token.issued', clientId: app.clientId, userId: code.userId, address, detail: { grant: 'authorization_code', scopes: code.scopes } } as const;
    const { response } = await issue(deps, tx, { app, userId: code.userId, scopes: code.scopes, familyId: code.id, withRefresh: true, audit });
    return response;
  });
  if (typeof outcome === 'string') throw invalidGrant();
  return outcome;

  async function replayed(tx: Queryable, codeId: number, userId: number): Promise<'replayed'> {
    const revoked = await revokeFamily(tx, codeId, deps.clock());
    await recordEvent(deps, tx, { event: 'code.replayed', clientId: app.clientId, userId, address, detail: { revoked_tokens: revoked } });
    return 'replayed';
  }
}

/** The authorization_code happy path of an app that has had tokens before: client checked, code used up, token and audit row in one statement. */
async function redeemInOneStatement(
  deps: Deps,
  client: { clientId: string; clientSecret: string },
  codeHash: string,
  redirectUri: string,
  verifier: string | undefined,
  address: string | null,
): Promise<TokenResponse | undefined> {
  const token = mint(deps, true);
  const row = await redeemCodeForToken(deps.db, {
    codeHash,
    clientId: client.clientId,
    // digests compared, not secrets: the time taken says nothing about the stored secret
    clientSecretHash: hashSecret(client.clientSecret),
    redirectUri,
    verifier: verifier ?? null,
    verifierChallenge: verifier === undefined ? null : (challengeOf(verifier) ?? null),
    tokenHash: token.tokenHash,
    createdAt: token.now,
    expiresAt: token.expiresAt,
    refreshTokenHash: token.refreshTokenHash,
    refreshExpiresAt: token.refreshExpiresAt,
    address,
  });
  if (!row) return undefined;
  logEvent(deps, { event: 'token.issued', clientId: client.clientId, userId: row.userId, username: row.username, address, detail: { grant: 'authorization_code', scopes: row.scopes } });
  return token.response(row.scopes);
}

/**
 * Rotates a refresh token (RFC 9700 §4.14.2): the presented one is spent and a new pair issued.
 * A retry within the grace window (a client that lost the answer, or a racing twin) gets the same
 * pair back; a later reuse means the token leaked, so the whole family is revoked.
 */
export async function refreshTokenGrant(
  deps: Deps,
  app: ApplicationRow,
  params: { refresh_token?: string | undefined; scope?: string | undefined },
  address: string | null = null,
): Promise<TokenResponse> {
  if (!params.refresh_token) throw missingParameter('refresh_token');
  const presented = params.refresh_token;
  const refreshHash = hashSecret(presented);
  const outcome = await deps.db.transaction(async (tx): Promise<TokenResponse | 'invalid' | 'scope'> => {
    const now = deps.clock();
    const old = await findTokenByRefreshHash(tx, refreshHash);
    if (!old || old.applicationId !== app.id || old.revokedAt || !old.refreshExpiresAt || old.refreshExpiresAt <= now) return 'invalid';
    const scopes = params.scope ? parseScopes(params.scope) : old.scopes;
    if (!scopes || scopes.length === 0 || !coversAll(old.scopes, scopes) || !scopes.every((s) => deps.scopes.isKnown(s))) return 'scope';

    if (!old.refreshedAt) {
      const next = await issue(deps, tx, { app, userId: old.userId, scopes, familyId: old.familyId ?? old.id, withRefresh: true });
      if (await spendRefreshToken(tx, old.id, now, sealWithSecret(presented, JSON.stringify(next.response)))) {
        await recordEvent(deps, tx, { event: 'token.refreshed', clientId: app.clientId, userId: old.userId, address, detail: { scopes } });
        return next.response;
      }
      // Another request spent it between our read and our update; fall through with its result.
      // Our own new token must not survive: this transaction rolls back below by throwing.
      throw new RetryAfterRace();
    }
    return reuse(tx, old.id, old.familyId ?? old.id, now);
  }).catch(async (err) => {
    if (!(err instanceof RetryAfterRace)) throw err;
    return deps.db.transaction(async (tx) => {
      const old = await findTokenByRefreshHash(tx, refreshHash);
      return old ? reuse(tx, old.id, old.familyId ?? old.id, deps.clock()) : ('invalid' as const);
    });
  });
  if (outcome === 'invalid') throw invalidGrant();
  if (outcome === 'scope') throw invalidScope();
  return outcome;

  async function reuse(tx: Queryable, id: number, familyId: number, now: Date): Promise<TokenResponse | 'invalid'> {
    const old = await findTokenByRefreshHash(tx, refreshHash);
    const withinGrace = old?.refreshedAt && now.getTime() - old.refreshedAt.getTime() <= deps.config.refreshReuseGrace * 1000;
    const pair = withinGrace && !old.revokedAt && old.refreshedPair ? openWithSecret(presented, old.refreshedPair) : undefined;
    if (pair) return JSON.parse(pair) as TokenResponse;
    const revoked = await revokeFamily(tx, familyId, now);
    await revokeToken(tx, id, now);
    await recordEvent(deps, tx, { event: 'refresh_token.replayed', clientId: app.clientId, userId: old?.userId, address, detail: { revoked_tokens: revoked } });
    return 'invalid';
  }
}

class RetryAfterRace extends Error {}

/**
 * RFC 7009 with Mastodon's answers: the token's own client revokes it; unknown tokens are fine
 * (200); another client's token is refused. Revoking a refresh token revokes its whole family.
 */
export async function revoke(deps: Deps, app: ApplicationRow, token: string | undefined, address: string | null = null): Promise<void> {
  if (!token) return;
  const hash = hashSecret(token);
  await deps.db.transaction(async (tx) => {
    const row = await findTokenByAnyHash(tx, hash);
    if (!row) return;
    if (row.applicationId !== app.id) throw new OAuthError('unauthorized_client', describe.unauthorized_client, 403);
    if (row.revokedAt) return;
    const now = deps.clock();
    await revokeToken(tx, row.id, now);
    // the hash matched the refresh token, not the access token: end the whole family
    if (row.familyId !== null && (await findTokenByRefreshHash(tx, hash))) await revokeFamily(tx, row.familyId, now);
    await recordEvent(deps, tx, { event: 'token.revoked', clientId: app.clientId, userId: row.userId, address });
  });
}

/**
 * RFC 7662 straight from the request's credentials: the client check and the token lookup in one
 * round trip (the hot path of a resource server checking every call it serves). What the caller may
 * know about the token; `{active: false}` for anything else.
 */
export async function introspectFor(deps: Deps, credentials: ClientCredentials, token: string | undefined): Promise<Record<string, unknown>> {
  const picked = pickCredentials(credentials);
  if (!picked) throw invalidClient();
  // digests compared, not secrets: the time taken says nothing about the stored secret
  const found = await findCallerAndLiveToken(deps.db, picked.clientId, hashSecret(picked.clientSecret), token ? hashSecret(token) : null, deps.clock());
  if (!found || !found.secretOk) throw invalidClient();
  return introspection(deps, { id: found.callerId, resourceServer: found.callerResourceServer }, found.token);
}

/** What the caller may know about a live token (or none): `{active: false}` unless it is the caller's or the caller is a resource server. */
async function introspection(deps: Deps, app: Pick<ApplicationRow, 'id' | 'resourceServer'>, live: LiveToken | undefined): Promise<Record<string, unknown>> {
  if (!live || (!app.resourceServer && live.applicationId !== app.id)) return { active: false };
  const row = await withOwner(deps, live);
  if (!row) return { active: false };
  return {
    active: true,
    scope: row.scopes.join(' '),
    client_id: row.clientId,
    token_type: 'Bearer',
    iat: Math.floor(row.createdAt.getTime() / 1000),
    ...(row.expiresAt ? { exp: Math.floor(row.expiresAt.getTime() / 1000) } : {}),
    ...(row.userId !== null ? { sub: String(row.userId), username: row.username } : {}),
    iss: deps.config.issuer,
  };
}

/** The live token behind an `Authorization: Bearer` header, or 401. */
export async function checkBearer(deps: Pick<Deps, 'db' | 'clock'>, token: string | undefined): Promise<TokenWithOwner> {
  if (!token) throw invalidToken();
  const live = await findLiveToken(deps.db, hashSecret(token), deps.clock());
  const row = live && (await withOwner(deps, live));
  if (!row) throw invalidToken();
  return row;
}
