import { auditHistory } from '../audit/history.js';
import { UsageError, type Command } from './command.js';

export const auditList: Command = {
  usage: 'audit:list [--user NAME] [--client-id ID] [--since ISO-8601] [--limit N]',
  options: {
    user: { type: 'string' },
    'client-id': { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(deps, options) {
    const since = options.since === undefined ? undefined : new Date(options.since as string);
    if (since && Number.isNaN(since.getTime()))
      throw new UsageError(
        `--since must be a date and time such as 2026-01-31T12:00:00Z (got ${JSON.stringify(options.since)})`,
      );
    const limit = options.limit === undefined ? 1000 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a positive whole number (got ${JSON.stringify(options.limit)})`);
    const rows = await auditHistory(deps, {
      username: options.user as string | undefined,
      clientId: options['client-id'] as string | undefined,
      since,
      limit,
    });
    // newest first, as the store returns them
    return rows.map((row) => ({
      id: String(row.id),
      at: new Date(row.at).toISOString(),
      event: row.event,
      client_id: row.clientId ?? null,
      user_id: row.userId == null ? null : String(row.userId),
      username: row.username ?? null,
      address: row.address ?? null,
      detail: row.detail ?? null,
    }));
  },
};
