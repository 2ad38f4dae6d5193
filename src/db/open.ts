import type { Config } from '../config.js';
import type { Database } from './database.js';
import { openPostgres } from './postgres.js';

/** Postgres when DATABASE_URL is set, else embedded PGlite in DATA_DIR. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databasePooler'>>): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, { pooler: config.databasePooler });
  // loaded only when used: a process on Postgres does not hold PGlite's module
  const { openPglite } = await import('./pglite.js');
  return openPglite(config.dataDir);
}

export function describeStorage(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `PGlite in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `Postgres at ${url.hostname}:${url.port || 5432}${url.pathname}`; // never the password
}
