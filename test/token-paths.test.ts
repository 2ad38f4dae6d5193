// Which way the token endpoint answered (src/oauth/grants/): the one-statement fast path, or the
// fallback with the reason the fast statement missed, as counted in doorman_token_path_total.
// The same rules live in SQL (scopes @>, the PKCE CASE) and in TypeScript (coversAll,
// verifierMatches): the tables below run each case through both and expect the same answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  authorize,
  exchangeCode,
  makeUser,
  pkcePair,
  registerApp,
  signIn,
  testApp,
  type RegisteredApp,
  type TestContext,
} from './support/app.js';

let ctx: TestContext;
let jar: Record<string, string>;

before(async () => {
  ctx = await testApp();
  await makeUser(ctx.deps, 'alice', 'alice-password');
  jar = await signIn(ctx.app, 'alice', 'alice-password');
});
after(() => ctx.close());

const clientToken = (client: RegisteredApp, fields: Record<string, string> = {}) =>
  ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      ...fields,
    },
  });

async function counts(): Promise<Map<string, number>> {
  const { values } = await ctx.deps.metrics.registry.getSingleMetric('doorman_token_path_total')!.get();
  return new Map(values.map((v) => [`${v.labels.grant} ${v.labels.path} ${v.labels.reason}`, v.value]));
}

/** The one path counted while `run` ran, as "grant path reason", and what run returned. */
async function pathOf<T>(run: () => Promise<T>): Promise<{ path: string; result: T }> {
  const before = await counts();
  const result = await run();
  const moved = [...(await counts())].filter(([key, value]) => value !== (before.get(key) ?? 0));
  assert.equal(moved.length, 1, `one path counted, got: ${moved.map(([k]) => k).join(', ')}`);
  assert.equal(moved[0]![1] - (before.get(moved[0]![0]) ?? 0), 1);
  return { path: moved[0]![0], result };
}

/** What a client sees of an answer: status and, for a token, its scope; else the error. */
const outcome = (res: LightMyRequestResponse) => ({
  status: res.statusCode,
  said: res.statusCode === 200 ? res.json().scope : res.json().error,
});

/** An app that has had a token, so its requests can take the fast path. */
async function usedApp(fields: Record<string, unknown> = {}): Promise<RegisteredApp> {
  const client = await registerApp(ctx.app, fields);
  assert.equal((await clientToken(client)).statusCode, 200);
  return client;
}

describe('client_credentials', () => {
  test("an app's first token takes the fallback (first_token), its second the fast path", async () => {
    const client = await registerApp(ctx.app);
    const first = await pathOf(() => clientToken(client));
    assert.equal(first.result.statusCode, 200, first.result.body);
    assert.equal(first.path, 'client_credentials fallback first_token');
    const second = await pathOf(() => clientToken(client));
    assert.equal(second.result.statusCode, 200, second.result.body);
    assert.equal(second.path, 'client_credentials fast none');
  });

  test('a scope granted through its parent takes the fallback (scope_through_parent)', async () => {
    const client = await usedApp();
    const { path, result } = await pathOf(() => clientToken(client, { scope: 'read:accounts' }));
    assert.equal(result.statusCode, 200, result.body);
    assert.equal(result.json().scope, 'read:accounts');
    assert.equal(path, 'client_credentials fallback scope_through_parent');
  });

  test('a bad secret takes the fallback (bad_client) and is refused', async () => {
    const client = await usedApp();
    const { path, result } = await pathOf(() => clientToken({ ...client, client_secret: 'wrong' }));
    assert.equal(result.statusCode, 401);
    assert.equal(path, 'client_credentials fallback bad_client');
    const unknown = await pathOf(() => clientToken({ ...client, client_id: 'no-such-client' }));
    assert.equal(unknown.result.statusCode, 401);
    assert.equal(unknown.path, 'client_credentials fallback bad_client');
  });

  // Registered scopes: read write:statuses profile. `fast` means SQL's `scopes @>` took it; the
  // fallback's coversAll must agree with it and decide the rest.
  const cases: { scope: string; path: string; said: string }[] = [
    { scope: 'read', path: 'fast none', said: 'read' },
    { scope: '', path: 'fast none', said: 'read' },
    { scope: 'read write:statuses', path: 'fast none', said: 'read write:statuses' },
    { scope: 'profile read', path: 'fast none', said: 'profile read' },
    { scope: 'read:accounts', path: 'fallback scope_through_parent', said: 'read:accounts' },
    { scope: 'write:statuses read:lists', path: 'fallback scope_through_parent', said: 'write:statuses read:lists' },
    { scope: 'write', path: 'fallback bad_scope', said: 'invalid_scope' },
    { scope: 'push', path: 'fallback bad_scope', said: 'invalid_scope' },
    { scope: 'admin:read', path: 'fallback bad_scope', said: 'invalid_scope' },
    { scope: 'not-a-scope', path: 'fallback bad_scope', said: 'invalid_scope' },
  ];
  for (const c of cases) {
    test(`scope "${c.scope}": the same answer by the fast path and by the fallback alone`, async () => {
      const registered = { scopes: 'read write:statuses profile' };
      const used = await usedApp(registered);
      const byFast = await pathOf(() => clientToken(used, { scope: c.scope }));
      assert.equal(byFast.path, `client_credentials ${c.path}`);
      const fresh = await registerApp(ctx.app, registered); // no token yet: the fast statement cannot take it
      const byFallback = await pathOf(() => clientToken(fresh, { scope: c.scope }));
      assert.match(byFallback.path, /^client_credentials fallback /);
      assert.deepEqual(outcome(byFast.result), outcome(byFallback.result));
      assert.equal(outcome(byFast.result).said, c.said);
    });
  }
});

describe('authorization_code', () => {
  const code = (client: RegisteredApp, challenge?: string) =>
    authorize(ctx.app, client, jar, challenge ? { challenge } : {});

  test("an app's first token takes the fallback (first_token), its second the fast path", async () => {
    const client = await registerApp(ctx.app);
    const first = await pathOf(async () => exchangeCode(ctx.app, client, await code(client)));
    assert.equal(first.result.statusCode, 200, first.result.body);
    assert.equal(first.path, 'authorization_code fallback first_token');
    const next = await code(client);
    const second = await pathOf(() => exchangeCode(ctx.app, client, next));
    assert.equal(second.result.statusCode, 200, second.result.body);
    assert.equal(second.path, 'authorization_code fast none');
  });

  test('a bad secret, an unknown, replayed or expired code, a wrong redirect URI: each says why', async () => {
    const client = await usedApp();
    const live = await code(client);
    const expect = async (run: () => Promise<LightMyRequestResponse>, status: number, reason: string) => {
      const { path, result } = await pathOf(run);
      assert.equal(result.statusCode, status, result.body);
      assert.equal(path, `authorization_code fallback ${reason}`);
    };
    await expect(() => exchangeCode(ctx.app, { ...client, client_secret: 'wrong' }, live), 401, 'bad_client');
    await expect(() => exchangeCode(ctx.app, client, 'x'.repeat(43)), 400, 'unknown_code');
    await expect(
      () => exchangeCode(ctx.app, client, live, { redirect_uri: 'https://client.example/other' }),
      400,
      'redirect_uri',
    );
    const other = await usedApp();
    await expect(() => exchangeCode(ctx.app, other, live), 400, 'other_client');
    assert.equal((await pathOf(() => exchangeCode(ctx.app, client, live))).path, 'authorization_code fast none');
    await expect(() => exchangeCode(ctx.app, client, live), 400, 'replayed_code');
    const stale = await code(client);
    ctx.clock.advance(3600);
    await expect(() => exchangeCode(ctx.app, client, stale), 400, 'expired_code');
  });

  // PKCE as SQL checks it (CASE on code_challenge) and as TypeScript does (verifierMatches).
  const pkce: { name: string; challenge: boolean; verifier: (right: string) => string | undefined; ok: boolean }[] = [
    { name: 'no challenge, no verifier', challenge: false, verifier: () => undefined, ok: true },
    { name: 'no challenge, a verifier', challenge: false, verifier: () => pkcePair().verifier, ok: false },
    { name: 'challenge, the right verifier', challenge: true, verifier: (right) => right, ok: true },
    { name: 'challenge, another verifier', challenge: true, verifier: () => pkcePair().verifier, ok: false },
    { name: 'challenge, no verifier', challenge: true, verifier: () => undefined, ok: false },
    { name: 'challenge, a malformed verifier', challenge: true, verifier: () => 'short', ok: false },
    { name: 'challenge, an empty verifier', challenge: true, verifier: () => '', ok: false },
  ];
  for (const c of pkce) {
    test(`PKCE, ${c.name}: the same answer by the fast path and by the fallback alone`, async () => {
      const answers = [];
      for (const client of [await usedApp(), await registerApp(ctx.app)]) {
        const { verifier, challenge } = pkcePair();
        const issued = await code(client, c.challenge ? challenge : undefined);
        const sent = c.verifier(verifier);
        const { path, result } = await pathOf(() =>
          exchangeCode(ctx.app, client, issued, sent === undefined ? {} : { code_verifier: sent }),
        );
        answers.push({ path, status: result.statusCode });
      }
      const [byFast, byFallback] = answers;
      assert.equal(byFast!.path, c.ok ? 'authorization_code fast none' : 'authorization_code fallback pkce');
      assert.equal(
        byFallback!.path,
        c.ok ? 'authorization_code fallback first_token' : 'authorization_code fallback pkce',
      );
      assert.equal(byFast!.status, c.ok ? 200 : 400);
      assert.equal(byFallback!.status, byFast!.status);
    });
  }
});
