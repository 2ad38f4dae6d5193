import type { Deps } from '../deps.js';
import { invalidClient } from '../errors.js';
import { hashSecret } from '../secrets.js';
import { findCallerAndLiveToken } from '../store/token-grants.js';
import type { LiveToken } from '../store/tokens.js';
import type { ClientCredentials } from './clients.js';
import { withOwner } from './token-owners.js';

/** RFC 7662's answer: `{active: false}`, or what the caller may know of a live token. */
export interface IntrospectionAnswer {
  active: boolean;
  scope?: string;
  client_id?: string;
  token_type?: 'Bearer';
  iat?: number;
  exp?: number;
  sub?: string;
  username?: string;
  iss?: string;
}

/**
 * RFC 7662: the client check and the token lookup in one round trip (the hot path of a resource
 * server checking every call it serves). What the caller may know about the token; `{active: false}`
 * for anything else.
 */
export async function introspect(
  deps: Deps,
  client: ClientCredentials,
  token: string | undefined,
): Promise<IntrospectionAnswer> {
  if (!client) throw invalidClient();
  // digests compared, not secrets: the time taken says nothing about the stored secret
  const found = await findCallerAndLiveToken(
    deps.db,
    client.clientId,
    hashSecret(client.clientSecret),
    token ? hashSecret(token) : null,
    deps.clock(),
  );
  if (!found?.secretOk) throw invalidClient();
  return answer(deps, { id: found.callerId, resourceServer: found.callerResourceServer }, found.token);
}

/** What the caller may know about a live token (or none): `{active: false}` unless it is the caller's or the caller is a resource server. */
async function answer(
  deps: Deps,
  caller: { id: number; resourceServer: boolean },
  live: LiveToken | undefined,
): Promise<IntrospectionAnswer> {
  if (!live || (!caller.resourceServer && live.applicationId !== caller.id)) return { active: false };
  const found = await withOwner(deps, live);
  if (!found) return { active: false };
  const { token, app, user } = found;
  return {
    active: true,
    scope: token.scopes.join(' '),
    client_id: app.clientId,
    token_type: 'Bearer',
    iat: Math.floor(token.createdAt.getTime() / 1000),
    ...(token.expiresAt ? { exp: Math.floor(token.expiresAt.getTime() / 1000) } : {}),
    ...(user ? { sub: String(token.userId), username: user.username } : {}),
    iss: deps.config.issuer,
  };
}
