// Creates initialised PGlite data folders that test files copy instead of initialising their own:
// DIR empty (for tests of migrations and of a server that migrates), and MIGRATED_DIR with every
// migration applied (testDatabase still runs migrate on its copy: a no-op there).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';

const [dir, migratedDir] = process.argv.slice(2);
if (!dir || !migratedDir) throw new Error('usage: make-template.ts DIR MIGRATED_DIR');
const db = await PGlite.create(`${dir}/pgdata`);
await db.query('SELECT 1');
await db.close();

cpSync(dir, migratedDir, { recursive: true });
const migrated = await openPglite(migratedDir);
await migrate(migrated);
await migrated.close();
// the owner note of the process that migrated it, which a copy must not carry
rmSync(join(migratedDir, 'doorman.owner'), { force: true });
