import { logEvent } from '../../audit/trail.js';
import type { Deps } from '../../deps.js';
import { invalidClient, invalidScope, type OAuthError } from '../../errors.js';
import { hashSecret } from '../../secrets.js';
import type { ApplicationRow } from '../../store/applications.js';
import { issueClientTokenToUsedApp } from '../../store/token-grants.js';
import { mint, storeToken, type Minted, type TokenResponse } from '../access-tokens.js';
import { findClient } from '../clients.js';
import { DEFAULT_SCOPE, grantable, parseScopes } from '../scopes.js';
import { countPath, type Grant, type TokenRequest } from './grant.js';

const GRANT = 'client_credentials';

/** Why the one statement did not issue the token. */
export type ClientCredentialsMiss = 'bad_client' | 'bad_scope' | 'scope_through_parent' | 'first_token';

/**
 * A token of the app itself (RFC 6749 §4.4). Most requests come from apps that have had tokens
 * before and ask for scopes they hold as such: one statement checks the client and scopes and
 * stores the token and its audit row. Anything else takes the fallback, which finds out why.
 */
export const clientCredentials: Grant = {
  offered: () => true,
  async issue(deps, request) {
    const { client, address } = request;
    if (!client) throw invalidClient();
    // hashed, parsed and minted once: the fallback uses the same
    const secretHash = hashSecret(client.clientSecret);
    const scopes = parseScopes(request.params.scope || DEFAULT_SCOPE);
    const token = mint(deps, false);
    if (scopes && scopes.length > 0 && scopes.every((s) => deps.scopes.isKnown(s))) {
      const audit = {
        event: 'token.issued',
        clientId: client.clientId,
        address,
        detail: { grant: GRANT, scopes },
      } as const;
      const id = await issueClientTokenToUsedApp(deps.db, {
        clientId: client.clientId,
        // digests compared, not secrets: the time taken says nothing about the stored secret
        clientSecretHash: secretHash,
        tokenHash: token.tokenHash,
        scopes,
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
    const reason = whyMissed(deps, app, scopes);
    countPath(deps, GRANT, 'fallback', reason);
    const refused = REFUSALS[reason];
    if (refused) throw refused();
    return issueByFallback(deps, app!, scopes!, token, address);
  },
};

const REFUSALS: Partial<Record<ClientCredentialsMiss, () => OAuthError>> = {
  bad_client: invalidClient,
  bad_scope: invalidScope,
};

/** The one place that says why the fast statement issued nothing: a bad client first, then bad scopes. */
export function whyMissed(
  deps: Pick<Deps, 'scopes'>,
  app: ApplicationRow | undefined,
  scopes: string[] | undefined,
): ClientCredentialsMiss {
  if (!app) return 'bad_client';
  if (!grantable(app.scopes, scopes, deps.scopes)) return 'bad_scope';
  return scopes.every((s) => app.scopes.includes(s)) ? 'first_token' : 'scope_through_parent';
}

/** The token stored with its audit row, the app marked used (so its next token takes the fast path). */
async function issueByFallback(
  deps: Deps,
  app: ApplicationRow,
  scopes: string[],
  token: Minted,
  address: TokenRequest['address'],
): Promise<TokenResponse> {
  const audit = { event: 'token.issued', clientId: app.clientId, address, detail: { grant: GRANT, scopes } } as const;
  const { response } = await storeToken(deps, deps.db, token, { app, userId: null, scopes, familyId: null, audit });
  return response;
}
