import { resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { openPostgres } from './postgres.js';

export interface OpenOptions {
  /**
   * The server: own DATA_DIR's PGlite and offer it to local processes on a Unix socket. Otherwise
   * (the CLI): when a live server holds DATA_DIR, use the database through that socket.
   */
  owner?: boolean;
}

/** Postgres when DATABASE_URL is set, else embedded PGlite in DATA_DIR. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>, options: OpenOptions = {}): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  // loaded only when used: a process on Postgres does not hold PGlite's module
  const [{ openPglite }, { dataDirHeld }] = await Promise.all([import('./pglite.js'), import('./data-dir-lock.js')]);
  if (!options.owner && (await dataDirHeld(config.dataDir))) return openOffered(config.dataDir);
  return openPglite(config.dataDir, { offer: options.owner });
}

/** The PGlite a running server offers in dataDir: one connection, and no session state left behind. */
async function openOffered(dataDir: string): Promise<Database> {
  // pg looks in the directory given as host for the socket the server made there (.s.PGSQL.5432)
  const db = openPostgres(`postgres://postgres@/postgres?host=${encodeURIComponent(resolve(dataDir))}`, { max: 1, sharedSession: true });
  return { ...db, kind: 'pglite' };
}

export function describeStorage(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `PGlite in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `Postgres at ${url.hostname}:${url.port || 5432}${url.pathname}`; // never the password
}
