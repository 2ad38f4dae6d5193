import type { Queryable } from '../db/database.js';

export interface RateLimitWindow {
  count: number;
  windowStart: Date;
}

/** Deletes up to `limit` windows that started before `before`. */
export async function deleteRateLimitWindowsBefore(q: Queryable, before: Date, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE window_start < $1 LIMIT $2) RETURNING key`,
    [before, limit],
  );
  return rows.length;
}

export interface CountedWindow extends RateLimitWindow {
  key: string;
}

/**
 * Adds each key's `counts` in one statement, so processes sharing the database count together: a
 * key whose window is over (or that has none) starts a new window at `now`. Keys go in sorted
 * order, so that two processes flushing overlapping batches lock rows in the same order (no deadlock).
 */
export async function countRequests(
  q: Queryable,
  counts: ReadonlyMap<string, number>,
  now: Date,
  windowMs: number,
): Promise<CountedWindow[]> {
  const keys = [...counts.keys()].sort();
  return q.query<CountedWindow>(
    `INSERT INTO rate_limits AS r (key, window_start, count)
     SELECT k, $3::timestamptz, n FROM unnest($1::text[], $2::int[]) AS t(k, n) ORDER BY k
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN r.window_start <= $4 THEN excluded.count ELSE r.count + excluded.count END,
       window_start = CASE WHEN r.window_start <= $4 THEN excluded.window_start ELSE r.window_start END
     RETURNING key, count, window_start AS "windowStart"`,
    [keys, keys.map((k) => counts.get(k)!), now, new Date(now.getTime() - windowMs)],
  );
}
