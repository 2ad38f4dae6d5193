// The audit trail: what happened to sign-ins, consents and tokens, as rows and as log lines.
// oauth/ and accounts/ both write it; store/audit.ts holds its SQL.
import type { Queryable } from '../db/database.js';
import type { Deps } from '../deps.js';
import { insertAuditEvent, type AuditEvent } from '../store/audit.js';

export type AuditEventName =
  | 'app.registered'
  | 'sign_in.succeeded'
  | 'sign_in.failed'
  | 'sign_in.throttled'
  | 'consent.granted'
  | 'consent.denied'
  | 'token.issued'
  | 'token.refreshed'
  | 'token.revoked'
  | 'code.replayed'
  | 'refresh_token.replayed';

/**
 * Records one event as a row (in the caller's transaction, so it stands or falls with the change
 * it describes) and as a log line. Never pass a secret in here.
 */
export async function recordEvent(deps: Pick<Deps, 'log' | 'clock'>, q: Queryable, event: TrailEvent): Promise<void> {
  await insertAuditEvent(q, deps.clock(), event);
  logEvent(deps, event);
}

/** One event, as the services describe it. */
export type TrailEvent = AuditEvent & { event: AuditEventName };

/** The log line of an event whose row a store statement wrote along with the change it records. */
export function logEvent(deps: Pick<Deps, 'log'>, event: TrailEvent): void {
  deps.log.info({ audit: event }, event.event);
}
