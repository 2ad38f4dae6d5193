import type { Deps } from '../deps.js';
import { listAuditEvents, type AuditRow } from '../store/audit.js';

export type { AuditRow };

/** Which events to read back: those naming a user or a client, from a time on; newest first. */
export interface AuditFilter {
  username?: string;
  clientId?: string;
  since?: Date;
  limit: number;
}

/** The audit trail read back for the operator (`audit:list`), newest first. */
export function auditHistory(deps: Pick<Deps, 'db'>, filter: AuditFilter): Promise<AuditRow[]> {
  return listAuditEvents(deps.db, filter);
}
