import type { Queryable } from '../db/database.js';

/** A statement that reads no table: it succeeds exactly when the database answers. */
export async function ping(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}
