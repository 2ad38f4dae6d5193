import type { Queryable } from '../db/database.js';

export interface AuditEvent {
  event: string;
  clientId?: string | null;
  userId?: number | null;
  username?: string | null;
  address?: string | null;
  detail?: Record<string, unknown> | null;
}

export interface AuditRow extends AuditEvent {
  id: number;
  at: Date;
}

/**
 * The head of every INSERT of an audit row. Statements that write a row along with the change it
 * records (store/token-grants.ts) follow it with `VALUES ${auditValues(n)}` or their own SELECT of
 * these seven columns, in this order.
 */
export const INSERT_AUDIT_EVENT = 'INSERT INTO audit_events (at, event, client_id, user_id, username, address, detail)';

/**
 * `(…)` of one row from the seven parameters `$first…` that auditParams gives. The row names the
 * user as well as numbering them (the number outlives a deleted user's name): when no name is
 * given, the user's current one.
 */
export function auditValues(first: number): string {
  const [at, event, clientId, userId, username, address, detail] = Array.from({ length: 7 }, (_, i) => `$${first + i}`);
  return `(${at}, ${event}, ${clientId}, ${userId}, COALESCE(${username}, (SELECT username FROM users WHERE id = ${userId})), ${address}, ${detail})`;
}

/** The parameters of one audit row, in the order of INSERT_AUDIT_EVENT. */
export function auditParams(at: Date, e: AuditEvent): unknown[] {
  return [
    at,
    e.event,
    e.clientId ?? null,
    e.userId ?? null,
    e.username ?? null,
    e.address ?? null,
    e.detail ? JSON.stringify(e.detail) : null,
  ];
}

const INSERT_ONE = `${INSERT_AUDIT_EVENT} VALUES ${auditValues(1)}`;

export async function insertAuditEvent(q: Queryable, at: Date, e: AuditEvent): Promise<void> {
  await q.query(INSERT_ONE, auditParams(at, e));
}

export async function listAuditEvents(
  q: Queryable,
  filter: { username?: string; clientId?: string; since?: Date; limit: number },
): Promise<AuditRow[]> {
  return q.query<AuditRow>(
    `SELECT id, at, event, client_id AS "clientId", user_id AS "userId", username, address, detail
     FROM audit_events
     WHERE ($1::text IS NULL OR lower(username) = lower($1)
            -- events that name the user only by id (token events)
            OR user_id = (SELECT id FROM users WHERE lower(users.username) = lower($1)))
       AND ($2::text IS NULL OR client_id = $2)
       AND ($3::timestamptz IS NULL OR at >= $3)
     ORDER BY at DESC, id DESC LIMIT $4`,
    [filter.username ?? null, filter.clientId ?? null, filter.since ?? null, filter.limit],
  );
}

export async function deleteAuditEventsBefore(q: Queryable, before: Date, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 LIMIT $2) RETURNING id`,
    [before, limit],
  );
  return rows.length;
}
