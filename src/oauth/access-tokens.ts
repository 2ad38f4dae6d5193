import type { Queryable } from '../db/database.js';
import type { Deps } from '../deps.js';
import { logEvent, type TrailEvent } from '../audit/trail.js';
import { hashSecret, randomToken } from '../secrets.js';
import type { ApplicationRow } from '../store/applications.js';
import { insertIssuedToken } from '../store/token-grants.js';

/** The token endpoint's answer (Mastodon's Token entity, plus the RFC 6749 extras when on). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  scope: string;
  created_at: number;
  expires_in?: number;
  refresh_token?: string;
}

/** A minted token: what is stored of it (hashes and times, never the tokens) and the answer that hands it out. */
export type Minted = ReturnType<typeof mint>;

/**
 * A fresh access token (and a refresh token when asked for and ACCESS_TOKEN_TTL is set). Minted once
 * per request: a fallback path stores the same token its fast path tried.
 */
export function mint(deps: Pick<Deps, 'clock' | 'config'>, withRefresh: boolean) {
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
      const response: TokenResponse = {
        access_token: accessToken,
        token_type: 'Bearer',
        scope: scopes.join(' '),
        created_at: Math.floor(now.getTime() / 1000),
      };
      if (ttl !== undefined) response.expires_in = ttl;
      if (refreshToken) response.refresh_token = refreshToken;
      return response;
    },
  };
}

export interface Issue {
  app: Pick<ApplicationRow, 'id'>;
  userId: number | null;
  scopes: string[];
  /** The resource (RFC 8707) the token is bound to; null: none. */
  resource: string | null;
  familyId: number | null;
  /** The audit event, written by the same statement as the token (none when the caller records it later). */
  audit?: TrailEvent;
}

/** Stores a minted token (only its hashes), marks its app used, and answers with it. */
export async function storeToken(
  deps: Pick<Deps, 'log'>,
  q: Queryable,
  token: Minted,
  what: Issue,
): Promise<{ id: number; response: TokenResponse }> {
  const id = await insertIssuedToken(
    q,
    {
      tokenHash: token.tokenHash,
      applicationId: what.app.id,
      userId: what.userId,
      scopes: what.scopes,
      resource: what.resource,
      familyId: what.familyId,
      createdAt: token.now,
      expiresAt: token.expiresAt,
      refreshTokenHash: token.refreshTokenHash,
      refreshExpiresAt: token.refreshExpiresAt,
    },
    what.audit ?? null,
  );
  if (what.audit) logEvent(deps, what.audit);
  return { id, response: token.response(what.scopes) };
}
