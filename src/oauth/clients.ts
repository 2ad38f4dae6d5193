import { ClientMetadataError } from '../client-metadata/error.js';
import type { Deps } from '../deps.js';
import { descriptions, invalidClient, OAuthError } from '../errors.js';
import { hashSecret, sameSecret } from '../secrets.js';
import { findApplicationByClientId, type ApplicationRow } from '../store/applications.js';
import { findMetadataClient, isMetadataDocumentClientId } from './metadata-clients.js';

type ClientDeps = Parameters<typeof findMetadataClient>[0];

/**
 * The client with this id: a registered app, or the client a metadata document URL describes
 * (fetched when the stored copy is stale). Undefined for an unknown id; a document that cannot be
 * used is invalid_client with `status` (400 on the authorize page, 401 at the token endpoint), saying why.
 */
export async function lookUpClient(
  deps: ClientDeps,
  clientId: string,
  status: 400 | 401 = 401,
): Promise<ApplicationRow | undefined> {
  if (!isMetadataDocumentClientId(clientId)) return findApplicationByClientId(deps.db, clientId);
  try {
    return await findMetadataClient(deps, clientId);
  } catch (err) {
    if (!(err instanceof ClientMetadataError)) throw err;
    throw new OAuthError('invalid_client', descriptions.unusable_metadata_document(err.reason), status);
  }
}

/**
 * The credentials a client authenticated with, however it sent them (http/client-auth.ts reads
 * them once per request): an id and a secret, an id alone (a public client, RFC 6749 §2.3 "none"),
 * or undefined when it sent nothing.
 */
export type ClientCredentials = { clientId: string; clientSecret: string | undefined } | undefined;

/** The digest of the secret sent, or null when the client sent none (a public client). */
export function secretHashOf(client: NonNullable<ClientCredentials>): string | null {
  return client.clientSecret === undefined ? null : hashSecret(client.clientSecret);
}

/** Whether the app is a public client: no secret, PKCE instead. */
export function isPublic(app: Pick<ApplicationRow, 'clientSecretHash'>): boolean {
  return app.clientSecretHash === null;
}

/**
 * The application these credentials prove, or invalid_client (401): a confidential client by its
 * secret, a public client by its id alone. `secretHash` is the digest of the secret when the caller
 * has it already (a hot path that tried it first).
 */
export async function authenticateClient(
  deps: ClientDeps,
  client: ClientCredentials,
  secretHash = client && secretHashOf(client),
): Promise<ApplicationRow> {
  const app = client && secretHash !== undefined ? await findClient(deps, client.clientId, secretHash) : undefined;
  if (!app) throw invalidClient();
  return app;
}

/**
 * The application with this id whose secret hashes to `secretHash`; with a null `secretHash`, the
 * public client with this id. Undefined otherwise (a confidential client without its secret, or a
 * public client that sends one).
 */
export async function findClient(
  deps: ClientDeps,
  clientId: string,
  secretHash: string | null,
): Promise<ApplicationRow | undefined> {
  const app = await lookUpClient(deps, clientId);
  if (!app || secretHash === null) return app && isPublic(app) ? app : undefined;
  // Compare digests, not secrets: the time taken says nothing about the stored secret.
  return app.clientSecretHash !== null && sameSecret(secretHash, app.clientSecretHash) ? app : undefined;
}

/** Whether a client with this id is registered or has had its metadata document read (its secret unchecked). */
export async function isRegisteredClient(deps: Pick<Deps, 'db'>, clientId: string): Promise<boolean> {
  return (await findApplicationByClientId(deps.db, clientId)) !== undefined;
}

/**
 * Whether the app may use this grant: Mastodon's and the operator's apps any; an RFC 7591 client
 * those it registered; a public client never client_credentials (it proves nothing about itself).
 */
export function mayUseGrant(app: Pick<ApplicationRow, 'clientSecretHash' | 'grantTypes'>, grant: string): boolean {
  if (grant === 'client_credentials' && isPublic(app)) return false;
  return app.grantTypes === null || app.grantTypes.includes(grant) || grant === 'refresh_token';
}
