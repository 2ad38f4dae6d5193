// POST /oauth/revoke with the seed's answers (SPEC §3).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { registerApp, testApp, userToken, type RegisteredApp, type TestContext } from './support/app.js';
import { basicAuth, multipartBody } from './support/bodies.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

const revoke = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  ctx.app.inject({ method: 'POST', url: '/oauth/revoke', payload, headers });
const withSecret = (app: RegisteredApp) => ({ client_id: app.client_id, client_secret: app.client_secret });
const appVerify = (accessToken: string) =>
  ctx.app.inject({ url: '/api/v1/apps/verify_credentials', headers: { authorization: `Bearer ${accessToken}` } });

const NOT_AUTHORIZED = {
  error: 'unauthorized_client',
  error_description: 'You are not authorized to revoke this token',
};

function refused(res: LightMyRequestResponse) {
  assert.equal(res.statusCode, 403, res.body);
  assert.deepEqual(res.json(), NOT_AUTHORIZED);
}

async function clientToken(app: RegisteredApp): Promise<string> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', ...withSecret(app) },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().access_token;
}

test('own token → 200 {}, the token stops working, and revoking again is still 200 {}', async () => {
  const { client, token } = await userToken(ctx, { username: 'rv_alice' });
  assert.equal((await appVerify(token.access_token)).statusCode, 200);
  const res = await revoke({ ...withSecret(client), token: token.access_token });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), {});
  assert.match(String(res.headers['cache-control']), /no-store/);
  assert.equal((await appVerify(token.access_token)).statusCode, 401);
  const again = await revoke({ ...withSecret(client), token: token.access_token });
  assert.equal(again.statusCode, 200);
  assert.deepEqual(again.json(), {});
});

test('HTTP Basic and multipart work too', async () => {
  const app = await registerApp(ctx.app);
  const basic = await clientToken(app);
  const res = await revoke({ token: basic }, { authorization: basicAuth(app.client_id, app.client_secret) });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal((await appVerify(basic)).statusCode, 401);
  const multi = await clientToken(app);
  const viaMultipart = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    ...multipartBody([
      ['client_id', app.client_id],
      ['client_secret', app.client_secret],
      ['token', multi],
    ]),
  });
  assert.equal(viaMultipart.statusCode, 200, viaMultipart.body);
  assert.equal((await appVerify(multi)).statusCode, 401);
});

test('unknown, junk or missing token with valid credentials → 200 {}', async () => {
  const app = await registerApp(ctx.app);
  for (const payload of [{ token: 'x'.repeat(43) }, { token: '' }, { token: '\u00e9\u0000'.repeat(10) }, {}]) {
    const res = await revoke({ ...withSecret(app), ...payload });
    assert.equal(res.statusCode, 200, JSON.stringify(payload));
    assert.deepEqual(res.json(), {});
  }
});

test("another client's token → 403 unauthorized_client, and the token keeps working", async () => {
  const owner = await registerApp(ctx.app);
  const other = await registerApp(ctx.app);
  const accessToken = await clientToken(owner);
  refused(await revoke({ ...withSecret(other), token: accessToken }));
  assert.equal((await appVerify(accessToken)).statusCode, 200);
});

test('no or invalid client credentials → 403 unauthorized_client, and the token keeps working', async () => {
  const owner = await registerApp(ctx.app);
  const accessToken = await clientToken(owner);
  for (const [payload, headers] of [
    [{ token: accessToken }, {}],
    [{ client_id: owner.client_id, token: accessToken }, {}],
    [{ client_id: owner.client_id, client_secret: 'wrong', token: accessToken }, {}],
    [{ client_id: 'unknown', client_secret: owner.client_secret, token: accessToken }, {}],
    [{ token: accessToken }, { authorization: basicAuth(owner.client_id, 'wrong') }],
    [{ token: 'x'.repeat(43) }, {}],
  ] as [Record<string, unknown>, Record<string, string>][]) {
    refused(await revoke(payload, headers));
  }
  assert.equal((await appVerify(accessToken)).statusCode, 200);
});

test('a user token revoked by its app also stops working at verify_credentials', async () => {
  const { client, token } = await userToken(ctx, { username: 'rv_bob' });
  assert.equal((await revoke({ ...withSecret(client), token: token.access_token })).statusCode, 200);
  const me = await ctx.app.inject({
    url: '/api/v1/accounts/verify_credentials',
    headers: { authorization: `Bearer ${token.access_token}` },
  });
  assert.equal(me.statusCode, 401);
});

test('answers CORS requests from any origin', async () => {
  const res = await ctx.app.inject({
    method: 'OPTIONS',
    url: '/oauth/revoke',
    headers: { origin: 'https://elk.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(res.headers['access-control-allow-origin'], '*');
});
