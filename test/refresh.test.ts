// Expiring tokens and refresh rotation (SPEC §3 POST /oauth/token, RFC 9700 §4.14.2):
// rotation, reuse detection with the grace window, scope narrowing, revocation of the family,
// expiry by the clock. Runs on both databases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

interface Pair {
  access_token: string;
  refresh_token?: string;
  scope: string;
  expires_in?: number;
  created_at: number;
  token_type: string;
}

const ACCESS_TTL = 3600;
const REFRESH_TTL = 7 * 24 * 3600;
const GRACE = 30;

/** A user, signed in once per context, who authorizes a fresh app per test. */
async function signedInUser(ctx: TestContext) {
  const { username, password } = await makeUser(ctx.deps, 'alice');
  return signIn(ctx.app, username, password);
}

async function grant(ctx: TestContext, jar: Record<string, string>, scope = 'read write', client?: RegisteredApp) {
  client ??= await registerApp(ctx.app);
  const code = await authorize(ctx.app, client, jar, { scope });
  const res = await exchangeCode(ctx.app, client, code);
  assert.equal(res.statusCode, 200, res.body);
  return { client, pair: res.json() as Pair };
}

function refresh(ctx: TestContext, client: RegisteredApp, refreshToken: string, extra: Record<string, string> = {}) {
  return ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: client.client_id,
      client_secret: client.client_secret,
      ...extra,
    },
  });
}

function verifyCredentials(ctx: TestContext, token: string) {
  return ctx.app.inject({ url: '/api/v1/accounts/verify_credentials', headers: { authorization: `Bearer ${token}` } });
}

async function introspect(ctx: TestContext, client: RegisteredApp, token: string) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/introspect',
    payload: { token, client_id: client.client_id, client_secret: client.client_secret },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { active: boolean };
}

async function tokenRows(ctx: TestContext, client: RegisteredApp) {
  return ctx.deps.db.query<{
    id: number;
    revoked_at: Date | null;
    refreshed_at: Date | null;
    refreshed_pair: string | null;
  }>(
    `SELECT t.id, t.revoked_at, t.refreshed_at, t.refreshed_pair FROM access_tokens t
     JOIN applications a ON a.id = t.application_id WHERE a.client_id = $1 ORDER BY t.id`,
    [client.client_id],
  );
}

describe('with ACCESS_TOKEN_TTL set', () => {
  let ctx: TestContext;
  let jar: Record<string, string>;
  before(async () => {
    ctx = await testApp({
      ACCESS_TOKEN_TTL: String(ACCESS_TTL),
      REFRESH_TOKEN_TTL: String(REFRESH_TTL),
      REFRESH_REUSE_GRACE: String(GRACE),
    });
    jar = await signedInUser(ctx);
  });
  after(() => ctx.close());

  test('the code grant answers expires_in and a refresh_token', async () => {
    const { pair } = await grant(ctx, jar);
    assert.equal(pair.expires_in, ACCESS_TTL);
    assert.equal(typeof pair.refresh_token, 'string');
    assert.equal(pair.refresh_token!.length, 43);
    assert.notEqual(pair.refresh_token, pair.access_token);
    assert.equal(pair.token_type, 'Bearer');
  });

  test('client_credentials tokens expire but carry no refresh token', async () => {
    const client = await registerApp(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().expires_in, ACCESS_TTL);
    assert.equal(res.json().refresh_token, undefined);
  });

  test('a refresh answers a new pair, and both work', async () => {
    const { client, pair } = await grant(ctx, jar);
    const res = await refresh(ctx, client, pair.refresh_token!);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const next = res.json() as Pair;
    assert.deepEqual(Object.keys(next).sort(), [
      'access_token',
      'created_at',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    assert.notEqual(next.access_token, pair.access_token);
    assert.notEqual(next.refresh_token, pair.refresh_token);
    assert.equal(next.scope, 'read write');
    assert.equal(next.expires_in, ACCESS_TTL);
    assert.equal((await verifyCredentials(ctx, next.access_token)).statusCode, 200);
    const again = await refresh(ctx, client, next.refresh_token!);
    assert.equal(again.statusCode, 200, again.body);
  });

  test('within the grace window the same pair comes back and the grant rotates once', async () => {
    const { client, pair } = await grant(ctx, jar);
    const first = (await refresh(ctx, client, pair.refresh_token!)).json() as Pair;
    ctx.clock.advance(GRACE - 5);
    const retry = await refresh(ctx, client, pair.refresh_token!);
    assert.equal(retry.statusCode, 200, retry.body);
    assert.deepEqual(retry.json(), first);
    const rows = await tokenRows(ctx, client);
    assert.equal(rows.length, 2, 'one original and one rotated token, nothing more');
    assert.ok(rows.every((r) => r.revoked_at === null));
    assert.equal((await verifyCredentials(ctx, first.access_token)).statusCode, 200);
  });

  test('the database holds the retry pair only encrypted', async () => {
    const { client, pair } = await grant(ctx, jar);
    const next = (await refresh(ctx, client, pair.refresh_token!)).json() as Pair;
    const [spent] = await tokenRows(ctx, client);
    assert.ok(spent!.refreshed_at);
    assert.ok(spent!.refreshed_pair);
    for (const secret of [next.access_token, next.refresh_token!, pair.access_token, pair.refresh_token!]) {
      assert.ok(!spent!.refreshed_pair!.includes(secret));
      assert.ok(!spent!.refreshed_pair!.includes(Buffer.from(secret).toString('base64')));
    }
    // and nowhere else in the table either
    const dump = JSON.stringify(await ctx.deps.db.query('SELECT * FROM access_tokens'));
    for (const secret of [next.access_token, next.refresh_token!, pair.access_token, pair.refresh_token!])
      assert.ok(!dump.includes(secret));
  });

  test('a used refresh token presented after the grace window: invalid_grant and the whole family is revoked', async () => {
    const { client, pair } = await grant(ctx, jar);
    const second = (await refresh(ctx, client, pair.refresh_token!)).json() as Pair;
    const third = (await refresh(ctx, client, second.refresh_token!)).json() as Pair;
    ctx.clock.advance(GRACE + 1);
    const replay = await refresh(ctx, client, pair.refresh_token!);
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.json().error, 'invalid_grant');
    for (const token of [pair.access_token, second.access_token, third.access_token]) {
      assert.equal((await verifyCredentials(ctx, token)).statusCode, 401);
      assert.equal((await introspect(ctx, client, token)).active, false);
    }
    // the newest refresh token is dead too
    const newest = await refresh(ctx, client, third.refresh_token!);
    assert.equal(newest.statusCode, 400);
    assert.equal(newest.json().error, 'invalid_grant');
    assert.ok((await tokenRows(ctx, client)).every((r) => r.revoked_at !== null));
  });

  test('a used refresh token stops working after the grace window even while nothing else happened', async () => {
    const { client, pair } = await grant(ctx, jar);
    const next = (await refresh(ctx, client, pair.refresh_token!)).json() as Pair;
    ctx.clock.advance(GRACE + 1);
    assert.equal((await refresh(ctx, client, pair.refresh_token!)).json().error, 'invalid_grant');
    assert.equal((await verifyCredentials(ctx, next.access_token)).statusCode, 401);
  });

  test('a refresh may narrow the scope, never widen it', async () => {
    const { client, pair } = await grant(ctx, jar, 'read write');
    const wider = await refresh(ctx, client, pair.refresh_token!, { scope: 'read write follow' });
    assert.equal(wider.statusCode, 400);
    assert.equal(wider.json().error, 'invalid_scope');
    const unknown = await refresh(ctx, client, pair.refresh_token!, { scope: 'read:nonsense' });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error, 'invalid_scope');
    // a refused request does not spend the refresh token
    const narrower = await refresh(ctx, client, pair.refresh_token!, { scope: 'read:accounts' });
    assert.equal(narrower.statusCode, 200, narrower.body);
    const narrowed = narrower.json() as Pair;
    assert.equal(narrowed.scope, 'read:accounts');
    assert.equal((await verifyCredentials(ctx, narrowed.access_token)).statusCode, 200);
    const writeAgain = await refresh(ctx, client, narrowed.refresh_token!, { scope: 'write' });
    assert.equal(writeAgain.json().error, 'invalid_scope');
  });

  test("another client's refresh token: invalid_grant, and it stays usable by its own client", async () => {
    const { client, pair } = await grant(ctx, jar);
    const other = await registerApp(ctx.app);
    const res = await refresh(ctx, other, pair.refresh_token!);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_grant');
    assert.equal((await refresh(ctx, client, pair.refresh_token!)).statusCode, 200);
  });

  test('an unknown or missing refresh token', async () => {
    const client = await registerApp(ctx.app);
    const unknown = await refresh(ctx, client, 'x'.repeat(43));
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error, 'invalid_grant');
    const missing = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'refresh_token', client_id: client.client_id, client_secret: client.client_secret },
    });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error, 'invalid_request');
  });

  test('wrong client credentials on a refresh: 401 invalid_client, token not spent', async () => {
    const { client, pair } = await grant(ctx, jar);
    const res = await refresh(ctx, { ...client, client_secret: 'wrong' }, pair.refresh_token!);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_client');
    assert.equal((await refresh(ctx, client, pair.refresh_token!)).statusCode, 200);
  });

  test('revoking a refresh token revokes the access tokens of its family', async () => {
    const { client, pair } = await grant(ctx, jar);
    const next = (await refresh(ctx, client, pair.refresh_token!)).json() as Pair;
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      payload: { token: next.refresh_token, client_id: client.client_id, client_secret: client.client_secret },
    });
    assert.equal(res.statusCode, 200);
    for (const token of [pair.access_token, next.access_token])
      assert.equal((await verifyCredentials(ctx, token)).statusCode, 401);
    assert.equal((await refresh(ctx, client, next.refresh_token!)).json().error, 'invalid_grant');
  });

  test('revoking an access token ends its refresh token too', async () => {
    const { client, pair } = await grant(ctx, jar);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      payload: { token: pair.access_token, client_id: client.client_id, client_secret: client.client_secret },
    });
    assert.equal(res.statusCode, 200);
    assert.equal((await refresh(ctx, client, pair.refresh_token!)).json().error, 'invalid_grant');
  });

  test('an expired access token: 401 at verify_credentials, inactive at introspection; refresh still works', async () => {
    const { client, pair } = await grant(ctx, jar);
    assert.equal((await verifyCredentials(ctx, pair.access_token)).statusCode, 200);
    assert.equal((await introspect(ctx, client, pair.access_token)).active, true);
    ctx.clock.advance(ACCESS_TTL + 1);
    const me = await verifyCredentials(ctx, pair.access_token);
    assert.equal(me.statusCode, 401);
    assert.deepEqual(me.json(), { error: 'The access token is invalid' });
    assert.equal((await introspect(ctx, client, pair.access_token)).active, false);
    const res = await refresh(ctx, client, pair.refresh_token!);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await verifyCredentials(ctx, (res.json() as Pair).access_token)).statusCode, 200);
  });

  test('a refresh token expires after REFRESH_TOKEN_TTL', async () => {
    const { client, pair } = await grant(ctx, jar);
    ctx.clock.advance(REFRESH_TTL - 10);
    const fresh = await grant(ctx, jar, 'read', client); // the user is still signed in: a second grant
    assert.equal(fresh.pair.refresh_token !== undefined, true);
    ctx.clock.advance(11);
    const res = await refresh(ctx, client, pair.refresh_token!);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_grant');
    // the other grant's refresh token is untouched
    assert.equal((await refresh(ctx, client, fresh.pair.refresh_token!)).statusCode, 200);
  });
});

describe('without ACCESS_TOKEN_TTL (Mastodon behaviour)', () => {
  let ctx: TestContext;
  let jar: Record<string, string>;
  before(async () => {
    ctx = await testApp();
    jar = await signedInUser(ctx);
  });
  after(() => ctx.close());

  test('no expires_in, no refresh_token, and the refresh_token grant is unsupported', async () => {
    const { client, pair } = await grant(ctx, jar);
    assert.deepEqual(Object.keys(pair).sort(), ['access_token', 'created_at', 'scope', 'token_type']);
    const res = await refresh(ctx, client, 'a'.repeat(43));
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'unsupported_grant_type');
    const rows = await ctx.deps.db.query<{ refresh_token_hash: string | null; expires_at: Date | null }>(
      'SELECT refresh_token_hash, expires_at FROM access_tokens',
    );
    assert.ok(rows.every((r) => r.refresh_token_hash === null && r.expires_at === null));
  });

  test('tokens never expire', async () => {
    const { pair } = await grant(ctx, jar);
    ctx.clock.advance(10 * 365 * 24 * 3600);
    assert.equal((await verifyCredentials(ctx, pair.access_token)).statusCode, 200);
  });
});
