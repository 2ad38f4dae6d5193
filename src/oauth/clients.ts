import type { Deps } from '../deps.js';
import { describe, invalidClient, invalidRequest } from '../errors.js';
import { hashSecret, sameSecret } from '../secrets.js';
import { findApplicationByClientId, type ApplicationRow } from '../store/applications.js';

/** Client credentials as the request carried them: in the body, in HTTP Basic, or both. */
export interface ClientCredentials {
  body: { clientId?: string | undefined; clientSecret?: string | undefined };
  basic?: { clientId: string; clientSecret: string } | undefined;
}

/** The client's id and secret, whichever way they came; two ways at once is refused. */
export function pickCredentials(credentials: ClientCredentials): { clientId: string; clientSecret: string } | undefined {
  const { body, basic } = credentials;
  if (basic) {
    if (body.clientSecret !== undefined || (body.clientId !== undefined && body.clientId !== basic.clientId)) {
      throw invalidRequest(describe.two_client_auth_methods);
    }
    return basic;
  }
  if (body.clientId === undefined || body.clientSecret === undefined) return undefined;
  return { clientId: body.clientId, clientSecret: body.clientSecret };
}

/** The application whose id and secret these are, or invalid_client (401). */
export async function authenticateClient(deps: Pick<Deps, 'db'>, credentials: ClientCredentials): Promise<ApplicationRow> {
  const picked = pickCredentials(credentials);
  if (!picked) throw invalidClient();
  const app = await findApplicationByClientId(deps.db, picked.clientId);
  // Compare digests, not secrets: the time taken says nothing about the stored secret.
  if (!app || !sameSecret(hashSecret(picked.clientSecret), app.clientSecretHash)) throw invalidClient();
  return app;
}

/** Whether a client with this id is registered (its secret unchecked). */
export async function isRegisteredClient(deps: Pick<Deps, 'db'>, clientId: string): Promise<boolean> {
  return (await findApplicationByClientId(deps.db, clientId)) !== undefined;
}
