import { logEvent, recordEvent } from '../../audit/trail.js';
import type { Queryable } from '../../db/database.js';
import type { Deps } from '../../deps.js';
import { invalidClient, invalidGrant, missingParameter } from '../../errors.js';
import { hashSecret } from '../../secrets.js';
import type { ApplicationRow } from '../../store/applications.js';
import { findCode, useCode, type CodeRow } from '../../store/codes.js';
import { redeemCodeForToken } from '../../store/token-grants.js';
import { revokeFamily } from '../../store/tokens.js';
import { mint, storeToken, type Minted, type TokenResponse } from '../access-tokens.js';
import { findClient, isPublic, lookUpClient, secretHashOf } from '../clients.js';
import { isMetadataDocumentClientId } from '../metadata-clients.js';
import { challengeOf, verifierMatches } from '../pkce.js';
import { invalidTarget } from '../resources.js';
import { countPath, type Grant, type TokenRequest } from './grant.js';

const GRANT = 'authorization_code';

/** Why the one statement redeemed nothing. */
export type CodeMiss =
  | 'bad_client'
  | 'missing_parameter'
  | 'unknown_code'
  | 'replayed_code'
  | 'expired_code'
  | 'other_client'
  | 'redirect_uri'
  | 'pkce'
  | 'resource'
  | 'first_token';

/**
 * Exchanges a code (RFC 6749 §4.1.3) for a token bound to the code's resource (RFC 8707). The happy
 * path of an app that has had tokens before is one statement (client check, code used up, token,
 * audit row); anything else, an app's first token included, takes the fallback, which reports a bad
 * client first and then why the code did not redeem. A public client sends its id alone: its codes
 * always carry a PKCE challenge, and the verifier is its proof.
 */
export const authorizationCode: Grant = {
  offered: () => true,
  async issue(deps, request) {
    const { client, params, address } = request;
    if (!client) throw invalidClient();
    // a metadata-document client: its stored copy must be fresh, or the document fetched again
    if (isMetadataDocumentClientId(client.clientId)) await lookUpClient(deps, client.clientId);
    // hashed and minted once: the fallback uses the same
    const secretHash = secretHashOf(client);
    const codeHash = params.code ? hashSecret(params.code) : undefined;
    const token = mint(deps, true);
    if (codeHash && params.redirect_uri) {
      const row = await redeemCodeForToken(deps.db, {
        codeHash,
        clientId: client.clientId,
        // digests compared, not secrets: the time taken says nothing about the stored secret
        clientSecretHash: secretHash,
        redirectUri: params.redirect_uri,
        verifier: params.code_verifier ?? null,
        verifierChallenge: params.code_verifier === undefined ? null : (challengeOf(params.code_verifier) ?? null),
        tokenHash: token.tokenHash,
        createdAt: token.now,
        expiresAt: token.expiresAt,
        refreshTokenHash: token.refreshTokenHash,
        refreshExpiresAt: token.refreshExpiresAt,
        resource: params.resource ?? null,
        audit: { event: 'token.issued', address, detail: { grant: GRANT } },
      });
      if (row) {
        const detail = { grant: GRANT, scopes: row.scopes, ...(row.resource ? { resource: row.resource } : {}) };
        logEvent(deps, {
          event: 'token.issued',
          clientId: client.clientId,
          userId: row.userId,
          username: row.username,
          address,
          detail,
        });
        countPath(deps, GRANT, 'fast', 'none');
        return token.response(row.scopes);
      }
    }
    const app = await findClient(deps, client.clientId, secretHash);
    if (!app) return refuse(deps, 'bad_client', invalidClient());
    if (!codeHash) return refuse(deps, 'missing_parameter', missingParameter('code'));
    if (!params.redirect_uri) return refuse(deps, 'missing_parameter', missingParameter('redirect_uri'));
    const { reason, response } = await redeem(deps, app, codeHash, request, token);
    countPath(deps, GRANT, 'fallback', reason);
    if (!response) throw reason === 'resource' ? invalidTarget() : invalidGrant();
    return response;
  },
};

function refuse(deps: Deps, reason: CodeMiss, error: Error): never {
  countPath(deps, GRANT, 'fallback', reason);
  throw error;
}

/** The one place that says why a code of this app did not redeem in one statement, or 'first_token' when it may redeem now. */
export function whyNotRedeemed(
  code: CodeRow | undefined,
  app: Pick<ApplicationRow, 'id' | 'clientSecretHash'>,
  params: TokenRequest['params'],
  now: Date,
): CodeMiss {
  if (!code) return 'unknown_code';
  if (code.usedAt) return 'replayed_code';
  if (code.expiresAt <= now) return 'expired_code';
  if (code.applicationId !== app.id) return 'other_client';
  if (code.redirectUri !== params.redirect_uri) return 'redirect_uri';
  const verifier = params.code_verifier;
  if (!code.codeChallenge && isPublic(app)) return 'pkce';
  if (code.codeChallenge ? !verifier || !verifierMatches(verifier, code.codeChallenge) : verifier !== undefined)
    return 'pkce';
  if (params.resource !== undefined && params.resource !== code.resource) return 'resource';
  return 'first_token';
}

/**
 * Redeems the code in a transaction that finds out why it does not. A code works once: the UPDATE
 * in useCode lets exactly one racing caller through; any other use (later or concurrent) by the
 * code's own client revokes every token issued from it (RFC 6749 §4.1.2) — another client cannot
 * end a stranger's grant. Wrong client, redirect URI, verifier or resource does not use the code up.
 */
async function redeem(
  deps: Deps,
  app: ApplicationRow,
  codeHash: string,
  { params, address }: TokenRequest,
  token: Minted,
): Promise<{ reason: CodeMiss; response?: TokenResponse }> {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock();
    const code = await findCode(tx, codeHash);
    const reason = whyNotRedeemed(code, app, params, now);
    if (reason === 'replayed_code' && code!.applicationId === app.id) await replayed(tx, code!);
    if (reason !== 'first_token') return { reason };
    if (!(await useCode(tx, code!.id, now))) {
      await replayed(tx, code!); // lost a race
      return { reason: 'replayed_code' };
    }
    const resource = code!.resource;
    const audit = {
      event: 'token.issued',
      clientId: app.clientId,
      userId: code!.userId,
      address,
      detail: { grant: GRANT, scopes: code!.scopes, ...(resource ? { resource } : {}) },
    } as const;
    const { response } = await storeToken(deps, tx, token, {
      app,
      userId: code!.userId,
      scopes: code!.scopes,
      resource,
      familyId: code!.id,
      audit,
    });
    return { reason, response };
  });

  async function replayed(tx: Queryable, code: CodeRow): Promise<void> {
    const revoked = await revokeFamily(tx, code.id, deps.clock());
    await recordEvent(deps, tx, {
      event: 'code.replayed',
      clientId: app.clientId,
      userId: code.userId,
      address,
      detail: { revoked_tokens: revoked },
    });
  }
}
