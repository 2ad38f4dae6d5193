import type { Deps } from '../deps.js';
import { invalidClient } from '../errors.js';
import { hashSecret } from '../secrets.js';
import { resourceBelongsTo } from '../store/resources.js';
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
  /** The resource (RFC 8707) the token is bound to. */
  aud?: string;
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
  // a public client proves nothing about itself: introspection is for confidential clients
  if (client?.clientSecret === undefined) throw invalidClient();
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

/**
 * What the caller may know about a live token (or none): `{active: false}` unless it is the caller's
 * own, or the caller is a resource server and the token is bound to none of the resources or to one
 * of its own (never to another's: RFC 8707 audiences).
 */
async function answer(
  deps: Deps,
  caller: { id: number; resourceServer: boolean },
  live: LiveToken | undefined,
): Promise<IntrospectionAnswer> {
  if (!live || !(live.applicationId === caller.id || (await servesAudience(deps, caller, live)))) {
    return { active: false };
  }
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
    ...(token.resource ? { aud: token.resource } : {}),
  };
}

/** Whether a resource server may see this token: bound to none, or to one of its resources (asked only then). */
async function servesAudience(
  deps: Deps,
  caller: { id: number; resourceServer: boolean },
  live: LiveToken,
): Promise<boolean> {
  if (!caller.resourceServer) return false;
  return live.resource === null || resourceBelongsTo(deps.db, live.resource, caller.id);
}
