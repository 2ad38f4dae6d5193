import type { FastifyRequest } from 'fastify';
import { descriptions, invalidRequest } from '../errors.js';
import type { ClientCredentials } from '../oauth/clients.js';
import { clientSecretBasic } from './client-auth/client-secret-basic.js';
import { clientSecretPost } from './client-auth/client-secret-post.js';
import type { ClientAuthParts, ClientBody } from './client-auth/method.js';

/** The ways a client may prove itself with a secret; a new one is a file in client-auth/ and a line here. */
export const CLIENT_AUTH_METHODS = [clientSecretBasic, clientSecretPost] as const;
/** RFC 7591's name for a public client's way: `client_id` alone, no proof (token and revocation only). */
export const PUBLIC_CLIENT_AUTH = 'none';

/**
 * The client credentials a request carries, read once: by one method, a `client_id` alone (a public
 * client), or nothing. A request that proves itself two ways at once, or claims two different client
 * ids, is refused (RFC 6749 §2.3); a body `client_id` that only repeats the Basic one is fine
 * (clients commonly send it).
 */
export function clientCredentials(request: FastifyRequest, body: ClientBody): ClientCredentials {
  let proof: ClientAuthParts | undefined;
  let claimed: string | undefined;
  for (const method of CLIENT_AUTH_METHODS) {
    const parts = method.parts(request, body);
    if (!parts) continue;
    if (parts.clientSecret !== undefined) {
      if (proof) throw invalidRequest(descriptions.two_client_auth_methods);
      proof = parts;
    }
    if (parts.clientId !== undefined) {
      if (claimed !== undefined && claimed !== parts.clientId)
        throw invalidRequest(descriptions.two_client_auth_methods);
      claimed = parts.clientId;
    }
  }
  if (proof)
    return proof.clientId === undefined ? undefined : { clientId: proof.clientId, clientSecret: proof.clientSecret };
  return claimed === undefined ? undefined : { clientId: claimed, clientSecret: undefined };
}

/** The client id a request claims, checked or not (what rate limits count by); undefined when none or malformed. */
export function claimedClientId(request: FastifyRequest, body: ClientBody): string | undefined {
  for (const method of CLIENT_AUTH_METHODS) {
    const id = method.parts(request, body)?.clientId;
    if (id !== undefined) return id;
  }
  return undefined;
}

/** The token of `Authorization: Bearer <token>` (prefix in any case), or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}
