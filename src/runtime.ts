import type { Config } from './config.js';
import { DataDirInUseError, describeStartFailure, settling, type SettlingDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { describeStorage, openDatabase } from './db/open.js';
import { ScopeCatalog } from './oauth/scopes.js';
import { ownerCache } from './oauth/token-owners.js';
import type { Deps } from './deps.js';

/**
 * What the server (main.ts) and the admin CLI (cli/main.ts) both stand on: the configured database,
 * open and migrated, and the rest of what every service is handed apart from a logger and metrics.
 * The one place above db/ that opens a database, so the CLI's commands see services only.
 */
export interface Runtime extends Pick<Deps, 'config' | 'scopes' | 'clock' | 'owners'> {
  db: SettlingDatabase;
}

export interface RuntimeOptions {
  /**
   * The server: own DATA_DIR's PGlite and offer it on a socket. Otherwise (the CLI) a running
   * server's offered database is used, and a DATA_DIR held by any other process is refused.
   */
  owner?: boolean;
}

/** Opens Postgres (DATABASE_URL) or PGlite (DATA_DIR) and applies the pending migrations. */
export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const db = settling(await openDatabase(config, options));
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return { db, config, scopes: new ScopeCatalog(config.extraScopes), clock: () => new Date(), owners: ownerCache() };
}

export { DataDirInUseError, describeStartFailure, describeStorage };
