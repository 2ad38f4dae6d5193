import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { DataDirInUseError, type Database } from './database.js';
import { openPostgres } from './postgres.js';

export interface OpenOptions {
  /**
   * The server: own DATA_DIR's PGlite and offer it to local processes on a Unix socket. Otherwise
   * (the CLI): when a live server holds DATA_DIR, use the database through that socket.
   */
  owner?: boolean;
}

/** The socket a server makes in DATA_DIR: the file name pg looks for in a socket directory (port 5432). */
const SOCKET_NAME = '.s.PGSQL.5432';

/** Postgres when DATABASE_URL is set, else embedded PGlite in DATA_DIR. */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databasePooler'>>,
  options: OpenOptions = {},
): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, { pooler: config.databasePooler });
  // loaded only when used: a process on Postgres does not hold PGlite's module
  const [{ openPglite }, { dataDirHeld, lockOwner }] = await Promise.all([
    import('./pglite.js'),
    import('./data-dir-lock.js'),
  ]);
  if (!options.owner && (await dataDirHeld(config.dataDir))) {
    // a holder that is not a server (another CLI command) offers nothing: then the folder is in use
    if (!existsSync(join(config.dataDir, SOCKET_NAME)))
      throw new DataDirInUseError(resolve(config.dataDir), lockOwner(config.dataDir));
    return openOffered(config.dataDir);
  }
  return openPglite(config.dataDir, { offer: options.owner });
}

/**
 * The PGlite a running server offers in dataDir: one connection, and no session state left behind
 * (the session outlives this process and is the server's), as behind a transaction-mode pooler.
 */
async function openOffered(dataDir: string): Promise<Database> {
  // pg looks in the directory given as host for the socket the server made there (SOCKET_NAME)
  const db = openPostgres(`postgres://postgres@/postgres?host=${encodeURIComponent(resolve(dataDir))}`, {
    max: 1,
    pooler: 'transaction',
  });
  return { ...db, kind: 'pglite' };
}

export function describeStorage(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `PGlite in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `Postgres at ${url.hostname}:${url.port || 5432}${url.pathname}`; // never the password
}
