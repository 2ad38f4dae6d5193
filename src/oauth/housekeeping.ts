import type { Queryable } from '../db/database.js';
import type { Deps } from '../deps.js';
import { deleteUnusedApplications } from '../store/applications.js';
import { deleteAuditEventsBefore } from '../store/audit.js';
import { deleteExpiredCodes } from '../store/codes.js';
import { deleteRateLimitWindowsBefore } from '../store/rate-limits.js';
import { deleteExpiredSessions } from '../store/sessions.js';
import { deleteDeadTokens } from '../store/tokens.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
/** Every Doorman process sharing a database takes this lock; one prunes, the rest skip the round. */
export const HOUSEKEEPING_LOCK = 727_002;

export interface PruneSettings {
  /** Dead rows are kept this long after they died, for support and for replay detection. */
  keepDeadFor: number;
  /** Apps registered but never authorized are deleted after this long (registration spam). */
  unusedAppsAfter: number;
  /** Audit events are kept this long. */
  auditFor: number;
  /** Rows deleted per statement (and per transaction). */
  batchSize?: number;
}

/** The ages (milliseconds) the server prunes with; SPEC fixes "older than a day" for dead codes and tokens. */
export const DEFAULT_PRUNE: PruneSettings = {
  keepDeadFor: DAY,
  unusedAppsAfter: 30 * DAY,
  auditFor: 90 * DAY,
  batchSize: 1000,
};

export type PruneCounts = Record<
  'codes' | 'tokens' | 'sessions' | 'applications' | 'auditEvents' | 'rateLimits',
  number
>;

/**
 * Deletes what can never be used again, in batches so no statement holds locks for long. Each batch
 * runs under a transaction-scoped advisory lock; when another process holds it, this one skips the
 * round and returns undefined.
 */
export async function prune(
  deps: Pick<Deps, 'db' | 'clock'>,
  settings: PruneSettings = DEFAULT_PRUNE,
): Promise<PruneCounts | undefined> {
  const now = deps.clock().getTime();
  const batch = settings.batchSize ?? 1000;
  const dead = new Date(now - settings.keepDeadFor);
  const counts: PruneCounts = { codes: 0, tokens: 0, sessions: 0, applications: 0, auditEvents: 0, rateLimits: 0 };
  const steps: [keyof PruneCounts, (q: Queryable) => Promise<number>][] = [
    ['codes', (q) => deleteExpiredCodes(q, dead, batch)],
    ['tokens', (q) => deleteDeadTokens(q, dead, batch)],
    ['sessions', (q) => deleteExpiredSessions(q, new Date(now), batch)],
    ['applications', (q) => deleteUnusedApplications(q, new Date(now - settings.unusedAppsAfter), batch)],
    ['auditEvents', (q) => deleteAuditEventsBefore(q, new Date(now - settings.auditFor), batch)],
    // rate-limit windows last 15 minutes at most: one that began an hour ago is over
    ['rateLimits', (q) => deleteRateLimitWindowsBefore(q, new Date(now - HOUR), batch)],
  ];
  for (const [key, step] of steps) {
    for (let deleted = batch; deleted === batch; ) {
      deleted = await deps.db.transaction(async (tx) => {
        const [lock] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
          HOUSEKEEPING_LOCK,
        ]);
        return lock?.locked ? step(tx) : -1;
      });
      if (deleted < 0) return undefined;
      counts[key] += deleted;
    }
  }
  return counts;
}

/**
 * Prunes on an interval (first run shortly after start), without a cron. A round still running when
 * the next is due is not doubled; stop() waits for a running round, so the database can close after.
 */
export function startHousekeeping(
  deps: Deps,
  everyMs = 3600_000,
  firstAfterMs = 60_000,
): { stop: () => Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= prune(deps)
      .then((counts) => {
        if (!counts) return;
        for (const [kind, deleted] of Object.entries(counts)) deps.metrics.housekeepingDeletions.inc({ kind }, deleted);
        deps.log.info({ pruned: counts }, 'housekeeping');
      })
      .catch((err) => deps.log.warn({ err }, 'housekeeping failed; will retry'))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(run, firstAfterMs);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return {
    stop: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
