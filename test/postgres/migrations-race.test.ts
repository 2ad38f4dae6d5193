// Two processes starting at once against one Postgres: the advisory lock makes one apply every
// migration and the other find nothing left to do; no file is applied twice.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { emptyDatabase } from '../support/database.js';

const FILES = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d+_.+\.sql$/.test(f))
  .sort();

test('two migrators racing on one empty database apply each file once', async () => {
  for (let round = 0; round < 3; round++) {
    const empty = await emptyDatabase();
    // two handles with pools of their own, as two processes would have
    const a = await empty.open();
    const b = await empty.open();
    try {
      const results = await Promise.all([migrate(a), migrate(b)]);
      const appliers = results.filter((r) => r.length > 0);
      assert.equal(appliers.length, 1, `exactly one migrator applied the files: ${JSON.stringify(results)}`);
      assert.deepEqual(appliers[0], FILES);
      assert.deepEqual(
        results.find((r) => r.length === 0),
        [],
      );
      const rows = await a.query<{ name: string; n: number }>(
        'SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name ORDER BY name',
      );
      assert.deepEqual(
        rows,
        FILES.map((name) => ({ name, n: 1 })),
      );
    } finally {
      await a.close();
      await b.close();
      await empty.drop();
    }
  }
});
