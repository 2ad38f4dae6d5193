// Ten redemptions of one code racing on a real Postgres (READ COMMITTED, many connections):
// exactly one wins, the other nine are replays (invalid_grant), and since a replay revokes every
// token issued from the code, the one token issued ends revoked (SPEC §3: "A code works once: a
// second use fails and revokes every token issued from it — also when the second use raced the first").
import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { hashSecret } from '../../src/secrets.js';
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
  ctx = await testApp();
  assert.equal(ctx.deps.db.kind, 'postgres');
  const { username, password } = await makeUser(ctx.deps, 'alice');
  jar = await signIn(ctx.app, username, password);
});
after(() => ctx.close());

/** A fresh app and a code for it (a fresh app, so no remembered consent or other tokens interfere). */
async function freshCode(): Promise<{ client: RegisteredApp; code: string }> {
  const client = await registerApp(ctx.app);
  return { client, code: await authorize(ctx.app, client, jar, { scope: 'read' }) };
}

async function tokensOf(code: string) {
  return ctx.deps.db.query<{ id: number; revoked_at: Date | null }>(
    `SELECT t.id, t.revoked_at FROM access_tokens t
     WHERE t.family_id = (SELECT id FROM authorization_codes WHERE code_hash = $1) ORDER BY t.id`,
    [hashSecret(code)],
  );
}

async function appTokenCount(client: RegisteredApp): Promise<number> {
  const [row] = await ctx.deps.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM access_tokens t JOIN applications a ON a.id = t.application_id WHERE a.client_id = $1`,
    [client.client_id],
  );
  return row!.n;
}

async function assertOneWinnerThenRevoked(
  client: RegisteredApp,
  code: string,
  answers: Awaited<ReturnType<typeof exchangeCode>>[],
) {
  const wins = answers.filter((r) => r.statusCode === 200);
  const losses = answers.filter((r) => r.statusCode !== 200);
  assert.equal(wins.length, 1, `exactly one 200, got ${answers.map((r) => r.statusCode).join(',')}`);
  assert.equal(losses.length, RACERS - 1);
  for (const res of losses) {
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error, 'invalid_grant');
  }
  const rows = await tokensOf(code);
  assert.equal(rows.length, 1, 'exactly one access_tokens row for the code');
  assert.equal(await appTokenCount(client), 1, 'and no other token for the app');
  assert.notEqual(rows[0]!.revoked_at, null, 'the later uses were replays: the token is revoked');
  const me = await ctx.app.inject({
    url: '/api/v1/apps/verify_credentials',
    headers: { authorization: `Bearer ${wins[0]!.json().access_token}` },
  });
  assert.equal(me.statusCode, 401);
}

test(`${RACERS} racing redemptions of one code: one 200, nine invalid_grant, the token ends revoked`, async () => {
  for (let round = 0; round < 5; round++) {
    const { client, code } = await freshCode();
    const answers = await Promise.all(Array.from({ length: RACERS }, () => exchangeCode(ctx.app, client, code)));
    await assertOneWinnerThenRevoked(client, code, answers);
  }
});

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

test('racers that all read the code unused before any of them marks it: still one winner, token revoked', async () => {
  const { client, code } = await freshCode();
  // Hold the code's row locked from another connection: every racer reads the code unused and then
  // waits at the UPDATE that marks it used. Releasing the lock lets exactly one through; the others
  // find it used only then, which is the race the database must settle.
  const holder = new pg.Client({ connectionString: ctx.database.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM authorization_codes WHERE code_hash = $1 FOR UPDATE', [hashSecret(code)]);
    const racing = Promise.all(Array.from({ length: RACERS }, () => exchangeCode(ctx.app, client, code)));
    await waitersOn(holder, RACERS);
    await holder.query('COMMIT');
    await assertOneWinnerThenRevoked(client, code, await racing);
  } finally {
    await holder.end();
  }
});

test('a failed racer (wrong redirect URI) does not use the code up or revoke anything', async () => {
  const { client, code } = await freshCode();
  const answers = await Promise.all([
    ...Array.from({ length: 5 }, () =>
      exchangeCode(ctx.app, client, code, { redirect_uri: 'https://client.example/other' }),
    ),
  ]);
  for (const res of answers) assert.equal(res.json().error, 'invalid_grant');
  const ok = await exchangeCode(ctx.app, client, code);
  assert.equal(ok.statusCode, 200);
  const rows = await tokensOf(code);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.revoked_at, null);
});
