import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Queryable } from '../src/db/database.js';
import type { Deps } from '../src/deps.js';
import { prune, startHousekeeping, type PruneCounts } from '../src/oauth/housekeeping.js';
import { countRequests } from '../src/store/rate-limits.js';
import {
  authorize,
  exchangeCode,
  makeUser,
  registerApp,
  signIn,
  testApp,
  type RegisteredApp,
  type TestContext,
} from './support/app.js';

const DAY = 24 * 3600;
const nothing: PruneCounts = { codes: 0, tokens: 0, sessions: 0, applications: 0, auditEvents: 0, rateLimits: 0 };

async function rows(ctx: TestContext) {
  const [row] = await ctx.deps.db.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM authorization_codes) AS codes, (SELECT count(*)::int FROM access_tokens) AS tokens,
            (SELECT count(*)::int FROM sessions) AS sessions, (SELECT count(*)::int FROM applications) AS applications,
            (SELECT count(*)::int FROM audit_events) AS "auditEvents", (SELECT count(*)::int FROM rate_limits) AS "rateLimits"`,
  );
  return row!;
}

async function appToken(ctx: TestContext, client: RegisteredApp): Promise<string> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().access_token;
}

async function revoke(ctx: TestContext, client: RegisteredApp, token: string) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: { client_id: client.client_id, client_secret: client.client_secret, token },
  });
  assert.equal(res.statusCode, 200);
}

const live = async (ctx: TestContext, token: string) =>
  (await ctx.app.inject({ url: '/api/v1/apps/verify_credentials', headers: { authorization: `Bearer ${token}` } }))
    .statusCode === 200;
const signedIn = async (ctx: TestContext, jar: Record<string, string>) =>
  (
    await ctx.app.inject({
      url: '/oauth/authorized_applications',
      headers: { cookie: `doorman_session=${jar.doorman_session}` },
    })
  ).statusCode === 200;

test('prune deletes what is dead past its age and keeps everything live', async () => {
  const ctx = await testApp({ ACCESS_TOKEN_TTL: '3600', REFRESH_TOKEN_TTL: '7200' });
  try {
    // day 0: an app in use and one never authorized, a session, an unused code, a user token with
    // its refresh token, a revoked app token and a live one, a rate-limit window
    const used = await registerApp(ctx.app);
    await registerApp(ctx.app, { client_name: 'Never authorized' });
    const alice = await makeUser(ctx.deps);
    const firstJar = await signIn(ctx.app, alice.username, alice.password);
    await authorize(ctx.app, used, firstJar);
    assert.equal((await exchangeCode(ctx.app, used, await authorize(ctx.app, used, firstJar))).statusCode, 200);
    await revoke(ctx, used, await appToken(ctx, used));
    const dayZeroToken = await appToken(ctx, used);
    await countRequests(ctx.deps.db, new Map([['POST /oauth/token x|127.0.0.1', 1]]), ctx.clock.now(), 60_000);
    const dayZero = await rows(ctx);
    assert.deepEqual(dayZero, {
      codes: 2,
      tokens: 3,
      sessions: 1,
      applications: 2,
      auditEvents: dayZero.auditEvents,
      rateLimits: 1,
    });

    // nothing is old enough yet; a token revoked today is kept for a day
    assert.deepEqual(await prune(ctx.deps), nothing);
    assert.ok(await live(ctx, dayZeroToken));

    // day 2: codes and tokens dead for over a day go; what is live now stays
    ctx.clock.advance(2 * DAY);
    const dayTwoJar = await signIn(ctx.app, alice.username, alice.password);
    const dayTwoToken = await appToken(ctx, used);
    const revokedToday = await appToken(ctx, used);
    await revoke(ctx, used, revokedToday);
    await countRequests(ctx.deps.db, new Map([['POST /oauth/token y|127.0.0.1', 1]]), ctx.clock.now(), 60_000);
    assert.deepEqual(await prune(ctx.deps), { ...nothing, codes: 2, tokens: 3, rateLimits: 1 });
    assert.ok(await live(ctx, dayTwoToken));
    assert.ok(await signedIn(ctx, firstJar), 'a 14-day session is still live on day 2');
    assert.ok(await signedIn(ctx, dayTwoJar));
    assert.equal((await rows(ctx)).tokens, 2, 'the token revoked today is kept for now');

    // day 31: both sessions have ended, the never-authorized app goes (30 days), the app in use stays
    ctx.clock.advance(29 * DAY);
    const dayThirtyOneJar = await signIn(ctx.app, alice.username, alice.password);
    assert.deepEqual(await prune(ctx.deps), { ...nothing, tokens: 2, sessions: 2, applications: 1, rateLimits: 1 });
    assert.ok(await signedIn(ctx, dayThirtyOneJar));
    const [app] = await ctx.deps.db.query<{ client_id: string }>('SELECT client_id FROM applications');
    assert.equal(app!.client_id, used.client_id);

    // day 91: audit events older than 90 days go, the rest stay
    ctx.clock.advance(60 * DAY);
    const before = await ctx.deps.db.query<{ at: Date }>('SELECT at FROM audit_events');
    const cutoff = ctx.clock.now().getTime() - 90 * DAY * 1000;
    const old = before.filter((r) => r.at.getTime() < cutoff).length;
    assert.equal(old, dayZero.auditEvents);
    assert.deepEqual(await prune(ctx.deps), { ...nothing, sessions: 1, auditEvents: old });
    assert.equal((await rows(ctx)).auditEvents, before.length - old);
  } finally {
    await ctx.close();
  }
});

test('prune deletes in batches, one transaction per batch', async () => {
  const ctx = await testApp();
  try {
    const client = await registerApp(ctx.app);
    const { user } = await makeUser(ctx.deps);
    const [app] = await ctx.deps.db.query<{ id: number }>('SELECT id FROM applications WHERE client_id = $1', [
      client.client_id,
    ]);
    const longAgo = new Date(ctx.clock.now().getTime() - 3 * DAY * 1000);
    await ctx.deps.db.query(
      `INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, scopes, created_at, expires_at)
       SELECT 'hash-' || i, $1, $2, 'https://client.example/cb', '{read}', $3, $3 FROM generate_series(1, 25) AS i`,
      [app!.id, user.id, longAgo],
    );

    // count the transactions that deleted codes, and how many each deleted
    const batches: number[] = [];
    const db = ctx.deps.db;
    const counting = {
      ...db,
      transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
        db.transaction(async (tx) => {
          let deleted = 0;
          const result = await fn({
            ...tx,
            query: async <Row>(sql: string, params?: readonly unknown[]) => {
              const out = await tx.query<Row>(sql, params);
              if (sql.startsWith('DELETE FROM authorization_codes')) deleted += out.length;
              return out;
            },
          });
          if (deleted) batches.push(deleted);
          return result;
        }),
    };
    const counts = await prune(
      { db: counting, clock: ctx.deps.clock },
      { keepDeadFor: DAY * 1000, unusedAppsAfter: 30 * DAY * 1000, auditFor: 90 * DAY * 1000, batchSize: 10 },
    );
    assert.equal(counts?.codes, 25);
    assert.deepEqual(batches, [10, 10, 5]);
    assert.equal((await rows(ctx)).codes, 0);
  } finally {
    await ctx.close();
  }
});

test('startHousekeeping prunes on its own and stop() waits for a round in flight', async () => {
  const ctx = await testApp();
  try {
    await countRequests(
      ctx.deps.db,
      new Map([['old window', 1]]),
      new Date(ctx.clock.now().getTime() - 2 * 3600_000),
      60_000,
    );
    let report: (entry: unknown) => void;
    const logged = new Promise((resolve) => (report = resolve));
    const log = {
      info: (entry: unknown) => report(entry),
      warn: (entry: unknown) => report(entry),
    } as unknown as Deps['log'];
    const housekeeping = startHousekeeping({ ...ctx.deps, log }, 3600_000, 0);
    const entry = (await logged) as { pruned?: PruneCounts };
    await housekeeping.stop();
    assert.equal(entry.pruned?.rateLimits, 1, JSON.stringify(entry));
    assert.equal((await rows(ctx)).rateLimits, 0);
  } finally {
    await ctx.close();
  }
});
