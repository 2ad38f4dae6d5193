// The resource URIs (RFC 8707) each resource server answers for.
import type { Queryable } from '../db/database.js';

/** Ties the URIs to the app; false (nothing stored) when one of them is already another app's. */
export async function insertResources(q: Queryable, applicationId: number, uris: readonly string[]): Promise<boolean> {
  if (uris.length === 0) return true;
  const rows = await q.query(
    `INSERT INTO resources (uri, application_id) SELECT unnest($1::text[]), $2 ON CONFLICT (uri) DO NOTHING RETURNING uri`,
    [uris, applicationId],
  );
  return rows.length === uris.length;
}

/** Whether anyone registered this resource URI. */
export async function resourceExists(q: Queryable, uri: string): Promise<boolean> {
  const rows = await q.query(`SELECT 1 FROM resources WHERE uri = $1`, [uri]);
  return rows.length > 0;
}

/** Whether the resource URI is this app's. */
export async function resourceBelongsTo(q: Queryable, uri: string, applicationId: number): Promise<boolean> {
  const rows = await q.query(`SELECT 1 FROM resources WHERE uri = $1 AND application_id = $2`, [uri, applicationId]);
  return rows.length > 0;
}

/** Every app's resource URIs, by app id. */
export async function resourcesByApplication(q: Queryable): Promise<Map<number, string[]>> {
  const rows = await q.query<{ applicationId: number; uris: string[] }>(
    `SELECT application_id AS "applicationId", array_agg(uri ORDER BY uri) AS uris FROM resources GROUP BY application_id`,
  );
  return new Map(rows.map((r) => [r.applicationId, r.uris]));
}
