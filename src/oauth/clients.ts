import type { Deps } from '../deps.js';
import { invalidClient } from '../errors.js';
import { hashSecret, sameSecret } from '../secrets.js';
import { findApplicationByClientId, type ApplicationRow } from '../store/applications.js';

/**
 * The credentials a client authenticated with, however it sent them (http/client-auth.ts reads
 * them once per request); undefined when it sent none.
 */
export type ClientCredentials = { clientId: string; clientSecret: string } | undefined;

/**
 * The application whose id and secret these are, or invalid_client (401). `secretHash` is the
 * digest of the secret when the caller has it already (a hot path that tried it first).
 */
export async function authenticateClient(
  deps: Pick<Deps, 'db'>,
  client: ClientCredentials,
  secretHash = client && hashSecret(client.clientSecret),
): Promise<ApplicationRow> {
  const app = client && secretHash ? await findClient(deps, client.clientId, secretHash) : undefined;
  if (!app) throw invalidClient();
  return app;
}

/** The application with this id whose secret hashes to `secretHash`, or undefined. */
export async function findClient(
  deps: Pick<Deps, 'db'>,
  clientId: string,
  secretHash: string,
): Promise<ApplicationRow | undefined> {
  const app = await findApplicationByClientId(deps.db, clientId);
  // Compare digests, not secrets: the time taken says nothing about the stored secret.
  return app && sameSecret(secretHash, app.clientSecretHash) ? app : undefined;
}

/** Whether a client with this id is registered (its secret unchecked). */
export async function isRegisteredClient(deps: Pick<Deps, 'db'>, clientId: string): Promise<boolean> {
  return (await findApplicationByClientId(deps.db, clientId)) !== undefined;
}
