import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';

/** The Postgres server the suite runs against, or undefined for PGlite. */
export const serverUrl = process.env.TEST_DATABASE_URL || undefined;

export interface TestDatabase {
  db: Database;
  /** Postgres: the URL of this test's own database; PGlite: undefined. */
  url: string | undefined;
  /** PGlite: the data folder; Postgres: undefined. */
  dataDir: string | undefined;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own (not yet migrated). */
export async function emptyDatabase(
  template = process.env.DOORMAN_PGLITE_TEMPLATE,
): Promise<Omit<TestDatabase, 'db'> & { open(): Promise<Database> }> {
  if (serverUrl) {
    const name = `doorman_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.href,
      dataDir: undefined,
      open: async () => openPostgres(url.href),
      drop: async () => {
        const c = new pg.Client({ connectionString: serverUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'doorman-test-'));
  if (template) cpSync(template, dataDir, { recursive: true });
  return {
    url: undefined,
    dataDir,
    open: () => openPglite(dataDir),
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** A fresh database with every migration applied. */
export async function testDatabase(): Promise<TestDatabase> {
  // PGlite: a copy of the folder the runner migrated once for the whole run
  const empty = await emptyDatabase(process.env.DOORMAN_PGLITE_MIGRATED_TEMPLATE);
  const db = await empty.open();
  await migrate(db);
  return {
    db,
    url: empty.url,
    dataDir: empty.dataDir,
    drop: async () => {
      await db.close().catch(() => {});
      await empty.drop();
    },
  };
}
