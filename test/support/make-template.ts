// Creates an initialised, empty PGlite data folder that test files copy instead of initialising their own.
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) throw new Error('usage: make-template.ts DIR');
const db = await PGlite.create(`${dir}/pgdata`);
await db.query('SELECT 1');
await db.close();
