import { recordEvent } from '../audit/trail.js';
import type { Deps } from '../deps.js';
import { descriptions, OAuthError } from '../errors.js';
import { hashSecret } from '../secrets.js';
import { findTokenByAnyHash, findTokenByRefreshHash, revokeFamily, revokeToken } from '../store/tokens.js';
import { authenticateClient, type ClientCredentials } from './clients.js';

/**
 * RFC 7009 with Mastodon's answers: the token's own client revokes it; unknown tokens are fine
 * (200); another client's token is refused. Revoking a refresh token revokes its whole family.
 * Mastodon answers every client-authentication failure here with 403 unauthorized_client.
 */
export async function revoke(
  deps: Deps,
  client: ClientCredentials,
  token: string | undefined,
  address: string | null = null,
): Promise<void> {
  const app = await authenticateClient(deps, client).catch((err: unknown) => {
    if (err instanceof OAuthError && err.code === 'invalid_client') throw unauthorizedClient();
    throw err;
  });
  if (!token) return;
  const hash = hashSecret(token);
  await deps.db.transaction(async (tx) => {
    const row = await findTokenByAnyHash(tx, hash);
    if (!row) return;
    if (row.applicationId !== app.id) throw unauthorizedClient();
    if (row.revokedAt) return;
    const now = deps.clock();
    await revokeToken(tx, row.id, now);
    // the hash matched the refresh token, not the access token: end the whole family
    if (row.familyId !== null && (await findTokenByRefreshHash(tx, hash))) await revokeFamily(tx, row.familyId, now);
    await recordEvent(deps, tx, { event: 'token.revoked', clientId: app.clientId, userId: row.userId, address });
  });
}

const unauthorizedClient = () => new OAuthError('unauthorized_client', descriptions.unauthorized_client, 403);
