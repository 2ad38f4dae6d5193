// POST /oauth/introspect (RFC 7662, SPEC §3 "Beyond the seed"): who may see what, which fields a
// live token shows, and {"active": false} for everything else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registerApplication } from '../src/oauth/applications.js';
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

const TTL = 3600;

let ctx: TestContext;
let jar: Record<string, string>;
let userId: number;

before(async () => {
  ctx = await testApp({ ACCESS_TOKEN_TTL: String(TTL) });
  const { user, username, password } = await makeUser(ctx.deps, 'alice');
  userId = user.id;
  jar = await signIn(ctx.app, username, password);
});
after(() => ctx.close());

async function userToken(client?: RegisteredApp, scope = 'read write') {
  client ??= await registerApp(ctx.app);
  const res = await exchangeCode(ctx.app, client, await authorize(ctx.app, client, jar, { scope }));
  assert.equal(res.statusCode, 200, res.body);
  return { client, token: res.json() as { access_token: string; refresh_token: string; created_at: number } };
}

async function appToken(client: RegisteredApp, scope = 'read') {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'client_credentials',
      scope,
      client_id: client.client_id,
      client_secret: client.client_secret,
    },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { access_token: string; created_at: number };
}

function introspect(
  client: { client_id: string; client_secret: string },
  token: string | undefined,
  how: 'body' | 'basic' = 'body',
) {
  const payload: Record<string, string> = token === undefined ? {} : { token };
  if (how === 'body')
    return ctx.app.inject({ method: 'POST', url: '/oauth/introspect', payload: { ...payload, ...client } });
  const basic = Buffer.from(
    `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`,
  ).toString('base64');
  return ctx.app.inject({
    method: 'POST',
    url: '/oauth/introspect',
    headers: { authorization: `Basic ${basic}` },
    payload,
  });
}

async function resourceServer(): Promise<{ client_id: string; client_secret: string }> {
  const { app, clientSecret } = await registerApplication(ctx.deps, {
    client_name: 'The API',
    redirect_uris: 'urn:ietf:wg:oauth:2.0:oob',
    resourceServer: true,
  });
  return { client_id: app.clientId, client_secret: clientSecret };
}

test('a client sees its own user token with every field', async () => {
  const { client, token } = await userToken();
  const res = await introspect(client, token.access_token);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  assert.equal(body.active, true);
  assert.equal(body.scope, 'read write');
  assert.equal(body.client_id, client.client_id);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.iat, token.created_at);
  assert.equal(body.exp, token.created_at + TTL);
  assert.equal(body.sub, String(userId));
  assert.equal(typeof body.sub, 'string');
  assert.equal(body.username, 'alice');
});

test('HTTP Basic client authentication works the same', async () => {
  const { client, token } = await userToken();
  const res = await introspect(client, token.access_token, 'basic');
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().active, true);
});

test('an app-level token has no sub or username', async () => {
  const client = await registerApp(ctx.app);
  const token = await appToken(client);
  const body = (await introspect(client, token.access_token)).json();
  assert.equal(body.active, true);
  assert.equal(body.client_id, client.client_id);
  assert.equal(body.scope, 'read');
  assert.equal(body.sub, undefined);
  assert.equal(body.username, undefined);
});

test('another ordinary client sees {active: false} for a live token it does not own', async () => {
  const { token } = await userToken();
  const other = await registerApp(ctx.app);
  const res = await introspect(other, token.access_token);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { active: false });
});

test('a resource server sees every token', async () => {
  const api = await resourceServer();
  const { client, token } = await userToken();
  const body = (await introspect(api, token.access_token)).json();
  assert.equal(body.active, true);
  assert.equal(body.client_id, client.client_id, 'the client the token was issued to, not the caller');
  assert.equal(body.sub, String(userId));
  assert.equal(body.username, 'alice');
  const other = await registerApp(ctx.app);
  const app = await appToken(other);
  assert.equal((await introspect(api, app.access_token, 'basic')).json().active, true);
});

test('bad client authentication: 401 invalid_client', async () => {
  const { client, token } = await userToken();
  for (const res of [
    await introspect({ client_id: client.client_id, client_secret: 'wrong' }, token.access_token),
    await introspect({ client_id: 'nobody', client_secret: 'x' }, token.access_token),
    await ctx.app.inject({ method: 'POST', url: '/oauth/introspect', payload: { token: token.access_token } }),
  ]) {
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_client');
    assert.equal(typeof res.json().error_description, 'string');
  }
  const basic = await introspect({ client_id: client.client_id, client_secret: 'wrong' }, token.access_token, 'basic');
  assert.equal(basic.statusCode, 401);
  assert.equal(basic.json().error, 'invalid_client');
  assert.match(String(basic.headers['www-authenticate']), /^Basic /);
});

test('a revoked token is inactive', async () => {
  const { client, token } = await userToken();
  const revoked = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: { token: token.access_token, client_id: client.client_id, client_secret: client.client_secret },
  });
  assert.equal(revoked.statusCode, 200);
  assert.deepEqual((await introspect(client, token.access_token)).json(), { active: false });
  assert.deepEqual((await introspect(await resourceServer(), token.access_token)).json(), { active: false });
});

test('unknown, missing and junk tokens are inactive, not errors', async () => {
  const client = await registerApp(ctx.app);
  for (const token of [undefined, '', 'x'.repeat(43), 'not a token at all', '\u00e9\u0000'.repeat(10)]) {
    const res = await introspect(client, token);
    assert.equal(res.statusCode, 200, `token ${JSON.stringify(token)}`);
    assert.deepEqual(res.json(), { active: false });
    assert.equal(res.headers['cache-control'], 'no-store');
  }
});

test('a refresh token introspected as a token is not an active access token', async () => {
  const { client, token } = await userToken();
  const body = (await introspect(client, token.refresh_token)).json();
  assert.notEqual(body.token_type, 'Bearer', 'a refresh token must never pass as a bearer token');
});

test('an expired token is inactive (the clock moves, nobody sleeps)', async () => {
  const { client, token } = await userToken();
  assert.equal((await introspect(client, token.access_token)).json().active, true);
  ctx.clock.advance(TTL + 1);
  assert.deepEqual((await introspect(client, token.access_token)).json(), { active: false });
  assert.deepEqual((await introspect(await resourceServer(), token.access_token)).json(), { active: false });
});
