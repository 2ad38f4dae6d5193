import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { openPostgres } from '../../src/db/postgres.js';
import { HOUSEKEEPING_LOCK, prune } from '../../src/oauth/housekeeping.js';
import { makeUser, registerApp, testApp } from '../support/app.js';

test('while another process holds the housekeeping lock, prune skips the round; after, it runs', async () => {
  const ctx = await testApp();
  const other = new pg.Client({ connectionString: ctx.database.url });
  await other.connect();
  try {
    const client = await registerApp(ctx.app);
    const { user } = await makeUser(ctx.deps);
    const [app] = await ctx.deps.db.query<{ id: number }>('SELECT id FROM applications WHERE client_id = $1', [
      client.client_id,
    ]);
    const longAgo = new Date(ctx.clock.now().getTime() - 3 * 24 * 3600_000);
    await ctx.deps.db.query(
      `INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, scopes, created_at, expires_at)
       SELECT 'hash-' || i, $1, $2, 'https://client.example/cb', '{read}', $3, $3 FROM generate_series(1, 5) AS i`,
      [app!.id, user.id, longAgo],
    );
    const codes = async () =>
      (await ctx.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM authorization_codes'))[0]!.n;

    // another process is pruning: it holds the lock in its open transaction
    await other.query('BEGIN');
    const [held] = (await other.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [HOUSEKEEPING_LOCK])).rows;
    assert.equal(held.locked, true);
    assert.equal(await prune(ctx.deps), undefined);
    // a second process of ours, on its own pool, skips too
    const second = openPostgres(ctx.database.url!);
    try {
      assert.equal(await prune({ db: second, clock: ctx.deps.clock }), undefined);
    } finally {
      await second.close();
    }
    assert.equal(await codes(), 5, 'nothing deleted while the lock is held elsewhere');

    // its transaction ends, and with it the lock
    await other.query('COMMIT');
    assert.equal((await prune(ctx.deps))?.codes, 5);
    assert.equal(await codes(), 0);
  } finally {
    await other.end();
    await ctx.close();
  }
});

test('while a prune holds the lock, a prune from another process skips the round', async () => {
  const ctx = await testApp();
  const second = openPostgres(ctx.database.url!);
  try {
    // the first prune stops in its first batch (holding the lock) until released
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const db = ctx.deps.db;
    const paused = {
      ...db,
      transaction: <T>(fn: Parameters<typeof db.transaction<T>>[0]) =>
        db.transaction(async (tx) => {
          const result = await fn(tx);
          entered();
          await released;
          return result;
        }),
    };
    const first = prune({ db: paused, clock: ctx.deps.clock });
    await inside;
    assert.equal(await prune({ db: second, clock: ctx.deps.clock }), undefined);
    release();
    assert.ok(await first, 'the first prune finishes its round');
  } finally {
    await second.close();
    await ctx.close();
  }
});
