// Racing refreshes with one refresh token on a real Postgres (READ COMMITTED, many connections):
// every racer gets the SAME new pair, the grant rotates once, nothing is revoked (SPEC §3:
// "Presented again within REFRESH_REUSE_GRACE (also by requests racing the first): the same pair
// again; the grant rotates once").
import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import pg from 'pg';
import {
  authorize,
  exchangeCode,
  makeUser,
  registerApp,
  signIn,
  testApp,
  type RegisteredApp,
  type TestContext,
} from '../support/app.js';

const RACERS = 10;

let ctx: TestContext;
let jar: Record<string, string>;

before(async () => {
  ctx = await testApp({ ACCESS_TOKEN_TTL: '3600' });
  const { username, password } = await makeUser(ctx.deps, 'alice');
  jar = await signIn(ctx.app, username, password);
});
after(() => ctx.close());

async function grant(): Promise<{ client: RegisteredApp; refreshToken: string; accessToken: string }> {
  const client = await registerApp(ctx.app);
  const res = await exchangeCode(ctx.app, client, await authorize(ctx.app, client, jar, { scope: 'read' }));
  assert.equal(res.statusCode, 200, res.body);
  return { client, refreshToken: res.json().refresh_token, accessToken: res.json().access_token };
}

function refresh(client: RegisteredApp, refreshToken: string) {
  return ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: client.client_id,
      client_secret: client.client_secret,
    },
  });
}

/** Waits until `count` other connections to this database wait for a lock. */
async function waitersOn(holder: pg.Client, count: number): Promise<void> {
  for (let polls = 0; ; polls++) {
    assert.ok(polls < 3000, `never saw ${count} requests waiting for a lock`);
    const { rows } = await holder.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    );
    if (rows[0]!.waiting >= count) return;
    await wait(10);
  }
}

async function rowsOf(client: RegisteredApp) {
  return ctx.deps.db.query<{ id: number; revoked_at: Date | null; refreshed_at: Date | null }>(
    `SELECT t.id, t.revoked_at, t.refreshed_at FROM access_tokens t JOIN applications a ON a.id = t.application_id
     WHERE a.client_id = $1 ORDER BY t.id`,
    [client.client_id],
  );
}

async function assertOneRotation(
  client: RegisteredApp,
  answers: Awaited<ReturnType<typeof refresh>>[],
  accessToken: string,
) {
  for (const res of answers) assert.equal(res.statusCode, 200, res.body);
  const pairs = answers.map((r) => r.json() as { access_token: string; refresh_token: string });
  const first = pairs[0]!;
  for (const pair of pairs) assert.deepEqual(pair, first, 'every racer gets the same pair');
  assert.notEqual(first.access_token, accessToken);
  const rows = await rowsOf(client);
  assert.equal(rows.length, 2, 'exactly one new token row');
  assert.ok(
    rows.every((r) => r.revoked_at === null),
    'nothing revoked',
  );
  assert.ok(rows[0]!.refreshed_at !== null && rows[1]!.refreshed_at === null);
  // the pair works, and rotates on
  const me = await ctx.app.inject({
    url: '/api/v1/apps/verify_credentials',
    headers: { authorization: `Bearer ${first.access_token}` },
  });
  assert.equal(me.statusCode, 200);
  assert.equal((await refresh(client, first.refresh_token)).statusCode, 200);
}

test(`${RACERS} refreshes racing with one refresh token all get the same pair, and the grant rotates once`, async () => {
  for (let round = 0; round < 5; round++) {
    const { client, refreshToken, accessToken } = await grant();
    const answers = await Promise.all(Array.from({ length: RACERS }, () => refresh(client, refreshToken)));
    await assertOneRotation(client, answers, accessToken);
  }
});

test('racers that all read the unspent token before any of them spends it still get one pair', async () => {
  const { client, refreshToken, accessToken } = await grant();
  const [row] = await rowsOf(client);
  // Hold the token row locked from another connection: every racer reads it unspent, issues its
  // candidate pair and then waits at the UPDATE that spends it. Releasing the lock lets one win;
  // the others must see the spent token and hand back the winner's pair.
  const holder = new pg.Client({ connectionString: ctx.database.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM access_tokens WHERE id = $1 FOR UPDATE', [row!.id]);
    const racing = Promise.all(Array.from({ length: RACERS }, () => refresh(client, refreshToken)));
    await waitersOn(holder, RACERS);
    await holder.query('COMMIT');
    await assertOneRotation(client, await racing, accessToken);
  } finally {
    await holder.end();
  }
});

test('racers replaying a spent token after the grace window all fail and the family is revoked', async () => {
  const { client, refreshToken } = await grant();
  const next = (await refresh(client, refreshToken)).json() as { access_token: string };
  ctx.clock.advance(ctx.deps.config.refreshReuseGrace + 1);
  const answers = await Promise.all(Array.from({ length: RACERS }, () => refresh(client, refreshToken)));
  for (const res of answers) {
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_grant');
  }
  assert.ok((await rowsOf(client)).every((r) => r.revoked_at !== null));
  const me = await ctx.app.inject({
    url: '/api/v1/apps/verify_credentials',
    headers: { authorization: `Bearer ${next.access_token}` },
  });
  assert.equal(me.statusCode, 401);
});

test('a replay racing a legitimate rotation still revokes the token that rotation issued', async () => {
  const { client, refreshToken: first } = await grant();
  const second = (await refresh(client, first)).json() as { refresh_token: string };
  ctx.clock.advance(ctx.deps.config.refreshReuseGrace + 1);
  // Pause the legitimate rotation of `second` after it has spent its row but before it commits
  // (its audit row waits for the table lock); then the replay of `first` starts revoking the
  // family and waits for that row. Under READ COMMITTED the replay's UPDATE cannot see the token
  // the rotation inserted, so the replay must look again after the rotation commits.
  const holder = new pg.Client({ connectionString: ctx.database.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE audit_events IN EXCLUSIVE MODE');
    const legit = refresh(client, second.refresh_token);
    await waitersOn(holder, 1);
    const replay = refresh(client, first);
    await waitersOn(holder, 2);
    await holder.query('COMMIT');
    const [legitAnswer, replayAnswer] = await Promise.all([legit, replay]);
    assert.equal(replayAnswer.statusCode, 400);
    assert.equal(replayAnswer.json().error, 'invalid_grant');
    assert.ok(
      (await rowsOf(client)).every((r) => r.revoked_at !== null),
      'every token of the family is revoked',
    );
    if (legitAnswer.statusCode === 200) {
      const me = await ctx.app.inject({
        url: '/api/v1/apps/verify_credentials',
        headers: { authorization: `Bearer ${legitAnswer.json().access_token}` },
      });
      assert.equal(me.statusCode, 401);
    }
  } finally {
    await holder.end();
  }
});
