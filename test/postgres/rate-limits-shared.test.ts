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
    const payload = {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
    };
    const answers = await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        (i % 2 ? other : ctx.app).inject({ method: 'POST', url: '/oauth/token', payload }),
      ),
    );
    const statuses = answers.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [...Array(6).fill(200), ...Array(8).fill(429)]);
    const [row] = await otherDb.query<{ count: number }>(
      `SELECT count FROM rate_limits WHERE key LIKE 'POST /oauth/token %'`,
    );
    assert.equal(row!.count, 14);
  } finally {
    await other.close();
    await otherDb.close();
    await ctx.close();
  }
});

test('three processes on one Postgres, counting in memory, together refuse within 10 % of the limit', async () => {
  const LIMIT = 300;
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: String(LIMIT) });
  const dbs = [openPostgres(ctx.database.url!), openPostgres(ctx.database.url!)];
  const apps = [ctx.app, ...(await Promise.all(dbs.map((db) => buildApp({ ...ctx.deps, db }))))];
  try {
    const client = await registerApp(ctx.app);
    const payload = { token: 'no-such-token', client_id: client.client_id, client_secret: client.client_secret };
    let admitted = 0;
    let refused = 0;
    // each process sends in waves of 10 at once, all three at the same time
    await Promise.all(
      apps.map(async (app) => {
        for (let wave = 0; wave < 20; wave++) {
          const answers = await Promise.all(
            Array.from({ length: 10 }, () => app.inject({ method: 'POST', url: '/oauth/introspect', payload })),
          );
          for (const a of answers)
            a.statusCode === 200
              ? admitted++
              : a.statusCode === 429
                ? refused++
                : assert.fail(`status ${a.statusCode}`);
        }
      }),
    );
    assert.equal(admitted + refused, 600);
    assert.ok(admitted >= LIMIT, `admitted ${admitted}, at least the limit`);
    assert.ok(admitted <= LIMIT * 1.1, `admitted ${admitted}, within 10 % of ${LIMIT}`);
    await Promise.all(apps.map((app) => app.close()));
    const [row] = await dbs[0]!.query<{ count: number }>(
      `SELECT count FROM rate_limits WHERE key LIKE 'POST /oauth/introspect %'`,
    );
    assert.equal(row!.count, 600, 'every request is in the shared count once the processes have flushed');
  } finally {
    await Promise.all(apps.slice(1).map((app) => app.close()));
    await Promise.all(dbs.map((db) => db.close()));
    await ctx.close();
  }
});
