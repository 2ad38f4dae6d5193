import { recordEvent } from '../../audit/trail.js';
import type { Config } from '../../config.js';
import type { Queryable } from '../../db/database.js';
import type { Deps } from '../../deps.js';
import { invalidGrant, invalidScope, missingParameter } from '../../errors.js';
import { hashSecret, openWithSecret, sealWithSecret } from '../../secrets.js';
import type { ApplicationRow } from '../../store/applications.js';
import { findTokenByRefreshHash, revokeFamily, revokeToken, spendRefreshToken } from '../../store/tokens.js';
import { mint, storeToken, type TokenResponse } from '../access-tokens.js';
import { invalidTarget } from '../resources.js';
import { authenticateClient } from '../clients.js';
import { grantable, parseScopes } from '../scopes.js';
import { countPath, type Grant, type TokenRequest } from './grant.js';

/**
 * Whether this server hands out refresh tokens: only when access tokens expire (ACCESS_TOKEN_TTL
 * set). The token endpoint, the metadata and the OpenAPI document all ask here.
 */
export function refreshTokensOn(config: Pick<Config, 'accessTokenTtl'>): boolean {
  return config.accessTokenTtl !== undefined;
}

/**
 * Rotates a refresh token (RFC 9700 §4.14.2): the presented one is spent and a new pair issued.
 * A retry within the grace window (a client that lost the answer, or a racing twin) gets the same
 * pair back; a later reuse means the token leaked, so the whole family is revoked. No one-statement
 * path: every request runs the transaction (counted as the fallback, reason `no_fast_path`).
 */
export const refreshToken: Grant = {
  offered: refreshTokensOn,
  async issue(deps, request) {
    const app = await authenticateClient(deps, request.client);
    countPath(deps, 'refresh_token', 'fallback', 'no_fast_path');
    return rotate(deps, app, request);
  },
};

async function rotate(deps: Deps, app: ApplicationRow, { params, address }: TokenRequest): Promise<TokenResponse> {
  if (!params.refresh_token) throw missingParameter('refresh_token');
  const presented = params.refresh_token;
  const refreshHash = hashSecret(presented);
  const wanted = params.scope ? parseScopes(params.scope) : undefined;
  const token = mint(deps, true);
  const outcome = await deps.db
    .transaction(async (tx): Promise<TokenResponse | 'invalid' | 'scope' | 'target'> => {
      const now = deps.clock();
      const old = await findTokenByRefreshHash(tx, refreshHash);
      if (!old || old.applicationId !== app.id || old.revokedAt || !old.refreshExpiresAt || old.refreshExpiresAt <= now)
        return 'invalid';
      const scopes = params.scope ? wanted : old.scopes;
      if (!grantable(old.scopes, scopes, deps.scopes)) return 'scope';
      // the new token keeps the old one's resource; naming another is refused (RFC 8707 §2.2)
      if (params.resource !== undefined && params.resource !== old.resource) return 'target';

      if (!old.refreshedAt) {
        const next = await storeToken(deps, tx, token, {
          app,
          userId: old.userId,
          scopes,
          resource: old.resource,
          familyId: old.familyId ?? old.id,
        });
        if (await spendRefreshToken(tx, old.id, now, sealWithSecret(presented, JSON.stringify(next.response)))) {
          await recordEvent(deps, tx, {
            event: 'token.refreshed',
            clientId: app.clientId,
            userId: old.userId,
            address,
            detail: { scopes },
          });
          return next.response;
        }
        // Another request spent it between our read and our update; fall through with its result.
        // Our own new token must not survive: this transaction rolls back below by throwing.
        throw new RetryAfterRace();
      }
      return reuse(tx, old.id, old.familyId ?? old.id, now);
    })
    .catch(async (err) => {
      if (!(err instanceof RetryAfterRace)) throw err;
      return deps.db.transaction(async (tx) => {
        const old = await findTokenByRefreshHash(tx, refreshHash);
        return old ? reuse(tx, old.id, old.familyId ?? old.id, deps.clock()) : ('invalid' as const);
      });
    });
  if (outcome === 'invalid') throw invalidGrant();
  if (outcome === 'scope') throw invalidScope();
  if (outcome === 'target') throw invalidTarget();
  return outcome;

  async function reuse(tx: Queryable, id: number, familyId: number, now: Date): Promise<TokenResponse | 'invalid'> {
    const old = await findTokenByRefreshHash(tx, refreshHash);
    const withinGrace =
      old?.refreshedAt && now.getTime() - old.refreshedAt.getTime() <= deps.config.refreshReuseGrace * 1000;
    const pair =
      withinGrace && !old.revokedAt && old.refreshedPair ? openWithSecret(presented, old.refreshedPair) : undefined;
    if (pair) return JSON.parse(pair) as TokenResponse;
    const revoked = await revokeFamily(tx, familyId, now);
    await revokeToken(tx, id, now);
    await recordEvent(deps, tx, {
      event: 'refresh_token.replayed',
      clientId: app.clientId,
      userId: old?.userId,
      address,
      detail: { revoked_tokens: revoked },
    });
    return 'invalid';
  }
}

class RetryAfterRace extends Error {}
