import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { openPostgres } from '../../src/db/postgres.js';
import { registerApp, testApp } from '../support/app.js';

test('two processes on one Postgres (two pools) count together, also when their requests race', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: '6' });
  const otherDb = openPostgres(ctx.database.url!);
  const other = await buildApp({ ...ctx.deps, db: otherDb });
  try {
    const client = await registerApp(ctx.app);
    const payload = { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret };
    const answers = await Promise.all(
      Array.from({ length: 14 }, (_, i) => (i % 2 ? other : ctx.app).inject({ method: 'POST', url: '/oauth/token', payload })),
    );
    const statuses = answers.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [...Array(6).fill(200), ...Array(8).fill(429)]);
    const [row] = await otherDb.query<{ count: number }>(`SELECT count FROM rate_limits WHERE key LIKE 'POST /oauth/token %'`);
    assert.equal(row!.count, 14);
  } finally {
    await other.close();
    await otherDb.close();
    await ctx.close();
  }
});
