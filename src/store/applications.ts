import type { Queryable } from '../db/database.js';

/** Who registered an app: Mastodon's endpoint, the operator's command line, or the client itself (RFC 7591). */
export type RegisteredBy = 'mastodon_api' | 'operator' | 'dynamic_registration';

export interface ApplicationRow {
  id: number;
  clientId: string;
  /** Null for a public client: it has no secret. */
  clientSecretHash: string | null;
  name: string;
  website: string | null;
  logoUri: string | null;
  redirectUris: string[];
  scopes: string[];
  /** The grants an RFC 7591 client registered for; null: every grant. */
  grantTypes: string[] | null;
  /** As an RFC 7591 client registered it; null: either secret method. */
  tokenEndpointAuthMethod: string | null;
  registeredBy: RegisteredBy;
  resourceServer: boolean;
  createdAt: Date;
}

const COLUMNS = `id, client_id AS "clientId", client_secret_hash AS "clientSecretHash", name, website,
  logo_uri AS "logoUri", redirect_uris AS "redirectUris", scopes, grant_types AS "grantTypes",
  token_endpoint_auth_method AS "tokenEndpointAuthMethod", registered_by AS "registeredBy",
  resource_server AS "resourceServer", created_at AS "createdAt"`;

export async function insertApplication(q: Queryable, app: Omit<ApplicationRow, 'id'>): Promise<ApplicationRow> {
  const [row] = await q.query<ApplicationRow>(
    `INSERT INTO applications (client_id, client_secret_hash, name, website, logo_uri, redirect_uris, scopes,
       grant_types, token_endpoint_auth_method, registered_by, resource_server, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
    [
      app.clientId,
      app.clientSecretHash,
      app.name,
      app.website,
      app.logoUri,
      app.redirectUris,
      app.scopes,
      app.grantTypes,
      app.tokenEndpointAuthMethod,
      app.registeredBy,
      app.resourceServer,
      app.createdAt,
    ],
  );
  return row!;
}

export async function findApplicationByClientId(q: Queryable, clientId: string): Promise<ApplicationRow | undefined> {
  const [row] = await q.query<ApplicationRow>(`SELECT ${COLUMNS} FROM applications WHERE client_id = $1`, [clientId]);
  return row;
}

export async function listApplications(q: Queryable): Promise<ApplicationRow[]> {
  return q.query<ApplicationRow>(`SELECT ${COLUMNS} FROM applications ORDER BY id`);
}

/** Deletes the app; its codes, tokens and resources go with it (ON DELETE CASCADE). */
export async function deleteApplication(q: Queryable, clientId: string): Promise<boolean> {
  const rows = await q.query(`DELETE FROM applications WHERE client_id = $1 RETURNING id`, [clientId]);
  return rows.length > 0;
}

/** Deletes up to `limit` apps registered before `before` that never got a token. */
export async function deleteUnusedApplications(q: Queryable, before: Date, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM applications WHERE id IN (
       SELECT id FROM applications WHERE first_used_at IS NULL AND created_at < $1 LIMIT $2)
     RETURNING id`,
    [before, limit],
  );
  return rows.length;
}
