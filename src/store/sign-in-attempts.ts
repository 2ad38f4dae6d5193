import type { Queryable } from '../db/database.js';

/**
 * Sign-in attempts counted in fixed windows in the `rate_limits` table, several keys in one
 * statement: racing attempts each see the count that includes themselves, never a stale one.
 * Returns each key's count and when its window started.
 */
export async function countSignInAttempt(
  q: Queryable,
  keys: readonly string[],
  now: Date,
  windowMs: number,
): Promise<Map<string, { count: number; windowStart: Date }>> {
  const rows = await q.query<{ key: string; count: number; windowStart: Date }>(
    `INSERT INTO rate_limits AS r (key, window_start, count) SELECT k, $2, 1 FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN r.window_start <= $3 THEN 1 ELSE r.count + 1 END,
       window_start = CASE WHEN r.window_start <= $3 THEN $2 ELSE r.window_start END
     RETURNING key, count, window_start AS "windowStart"`,
    [keys, now, new Date(now.getTime() - windowMs)],
  );
  return new Map(rows.map((r) => [r.key, { count: r.count, windowStart: new Date(r.windowStart) }]));
}

/** Takes back one counted attempt (it succeeded, so it was no guess). */
export async function uncountSignInAttempt(q: Queryable, keys: readonly string[]): Promise<void> {
  await q.query(`UPDATE rate_limits SET count = greatest(count - 1, 0) WHERE key = ANY($1::text[])`, [keys]);
}
