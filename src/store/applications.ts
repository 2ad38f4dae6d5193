import type { Queryable } from '../db/database.js';

/**
 * Who registered an app: Mastodon's endpoint, the operator's command line, the client itself
 * (RFC 7591), or nobody: a client whose id is the URL of its metadata document.
 */
export type RegisteredBy = 'mastodon_api' | 'operator' | 'dynamic_registration' | 'metadata_document';

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
  /** A metadata-document client's copy: when fetched, and until when it may be used without fetching again. */
  metadataFetchedAt?: Date | null;
  metadataFreshUntil?: Date | null;
}

const COLUMNS = `id, client_id AS "clientId", client_secret_hash AS "clientSecretHash", name, website,
  logo_uri AS "logoUri", redirect_uris AS "redirectUris", scopes, grant_types AS "grantTypes",
  token_endpoint_auth_method AS "tokenEndpointAuthMethod", registered_by AS "registeredBy",
  resource_server AS "resourceServer", created_at AS "createdAt",
  metadata_fetched_at AS "metadataFetchedAt", metadata_fresh_until AS "metadataFreshUntil"`;

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

/** What a metadata document says of its client, as stored. */
export interface MetadataClient {
  clientId: string;
  name: string;
  website: string | null;
  logoUri: string | null;
  redirectUris: string[];
  scopes: string[];
  fetchedAt: Date;
  freshUntil: Date;
}

/** Stores the client a metadata document describes, or refreshes its row from a newer copy. */
export async function upsertMetadataClient(q: Queryable, c: MetadataClient): Promise<ApplicationRow> {
  const [row] = await q.query<ApplicationRow>(
    `INSERT INTO applications (client_id, client_secret_hash, name, website, logo_uri, redirect_uris, scopes,
       grant_types, token_endpoint_auth_method, registered_by, created_at, metadata_fetched_at, metadata_fresh_until)
     VALUES ($1, NULL, $2, $3, $4, $5, $6, '{authorization_code,refresh_token}', 'none', 'metadata_document', $7, $7, $8)
     ON CONFLICT (client_id) DO UPDATE SET name = $2, website = $3, logo_uri = $4, redirect_uris = $5, scopes = $6,
       metadata_fetched_at = $7, metadata_fresh_until = $8
       WHERE applications.registered_by = 'metadata_document'
     RETURNING ${COLUMNS}`,
    [c.clientId, c.name, c.website, c.logoUri, c.redirectUris, c.scopes, c.fetchedAt, c.freshUntil],
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
