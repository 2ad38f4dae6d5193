import { logEvent } from '../../audit/trail.js';
import type { Deps } from '../../deps.js';
import { descriptions, invalidClient, invalidScope, OAuthError } from '../../errors.js';
import type { ApplicationRow } from '../../store/applications.js';
import { resourceExists } from '../../store/resources.js';
import { issueClientTokenToUsedApp } from '../../store/token-grants.js';
import { mint, storeToken, type Minted, type TokenResponse } from '../access-tokens.js';
import { findClient, mayUseGrant, secretHashOf } from '../clients.js';
import { invalidTarget, resourceUriProblem } from '../resources.js';
import { DEFAULT_SCOPE, grantable, parseScopes } from '../scopes.js';
import { countPath, type Grant, type TokenRequest } from './grant.js';

const GRANT = 'client_credentials';

/** Why the one statement did not issue the token. */
export type ClientCredentialsMiss =
  | 'bad_client'
  | 'grant_not_allowed'
  | 'bad_scope'
  | 'bad_target'
  | 'scope_through_parent'
  | 'first_token';

/**
 * A token of the app itself (RFC 6749 §4.4), bound to `resource` when one is named (RFC 8707). Most
 * requests come from apps that have had tokens before and ask for scopes they hold as such: one
 * statement checks the client, grant, scopes and resource and stores the token and its audit row.
 * Anything else takes the fallback, which finds out why.
 */
export const clientCredentials: Grant = {
  offered: () => true,
  async issue(deps, request) {
    const { client, address } = request;
    if (!client) throw invalidClient();
    // hashed, parsed and minted once: the fallback uses the same
    const secretHash = secretHashOf(client);
    const scopes = parseScopes(request.params.scope || DEFAULT_SCOPE);
    const resource = request.params.resource;
    const token = mint(deps, false);
    if (
      secretHash !== null &&
      scopes &&
      scopes.length > 0 &&
      scopes.every((s) => deps.scopes.isKnown(s)) &&
      (resource === undefined || !resourceUriProblem(resource))
    ) {
      const audit = {
        event: 'token.issued',
        clientId: client.clientId,
        address,
        detail: { grant: GRANT, scopes, ...(resource ? { resource } : {}) },
      } as const;
      const id = await issueClientTokenToUsedApp(deps.db, {
        clientId: client.clientId,
        // digests compared, not secrets: the time taken says nothing about the stored secret
        clientSecretHash: secretHash,
        tokenHash: token.tokenHash,
        scopes,
        resource: resource ?? null,
        createdAt: token.now,
        expiresAt: token.expiresAt,
        audit,
      });
      if (id !== undefined) {
        logEvent(deps, audit);
        countPath(deps, GRANT, 'fast', 'none');
        return token.response(scopes);
      }
    }
    const app = await findClient(deps, client.clientId, secretHash);
    const reason = await whyMissed(deps, app, scopes, resource);
    countPath(deps, GRANT, 'fallback', reason);
    const refused = REFUSALS[reason];
    if (refused) throw refused();
    return issueByFallback(deps, app!, scopes!, resource ?? null, token, address);
  },
};

const REFUSALS: Partial<Record<ClientCredentialsMiss, () => OAuthError>> = {
  bad_client: invalidClient,
  grant_not_allowed: () => new OAuthError('unauthorized_client', descriptions.grant_not_allowed, 400),
  bad_scope: invalidScope,
  bad_target: () => invalidTarget(),
};

/**
 * The one place that says why the fast statement issued nothing: a bad client first, then a client
 * that may not use this grant (public clients never), bad scopes, and a resource nobody registered.
 */
export async function whyMissed(
  deps: Pick<Deps, 'scopes' | 'db'>,
  app: ApplicationRow | undefined,
  scopes: string[] | undefined,
  resource: string | undefined,
): Promise<ClientCredentialsMiss> {
  if (!app) return 'bad_client';
  if (!mayUseGrant(app, GRANT)) return 'grant_not_allowed';
  if (!grantable(app.scopes, scopes, deps.scopes)) return 'bad_scope';
  if (resource !== undefined && (resourceUriProblem(resource) || !(await resourceExists(deps.db, resource))))
    return 'bad_target';
  return scopes.every((s) => app.scopes.includes(s)) ? 'first_token' : 'scope_through_parent';
}

/** The token stored with its audit row, the app marked used (so its next token takes the fast path). */
async function issueByFallback(
  deps: Deps,
  app: ApplicationRow,
  scopes: string[],
  resource: string | null,
  token: Minted,
  address: TokenRequest['address'],
): Promise<TokenResponse> {
  const detail = { grant: GRANT, scopes, ...(resource ? { resource } : {}) };
  const audit = { event: 'token.issued', clientId: app.clientId, address, detail } as const;
  const { response } = await storeToken(deps, deps.db, token, {
    app,
    userId: null,
    scopes,
    resource,
    familyId: null,
    audit,
  });
  return response;
}
