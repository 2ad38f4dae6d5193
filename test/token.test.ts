// POST /oauth/token: client authentication, the authorization_code and client_credentials grants (SPEC §3).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { descriptions as wording } from '../src/errors.js';
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
import { basicAuth, formBody, multipartBody } from './support/bodies.js';

let ctx: TestContext;
let client: RegisteredApp;
let jar: Record<string, string>;

before(async () => {
  ctx = await testApp();
  client = await registerApp(ctx.app);
  await makeUser(ctx.deps, 'alice', 'alice-password');
  jar = await signIn(ctx.app, 'alice', 'alice-password');
});
after(() => ctx.close());

const token = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  ctx.app.inject({ method: 'POST', url: '/oauth/token', payload, headers });
const withSecret = (app: RegisteredApp = client) => ({ client_id: app.client_id, client_secret: app.client_secret });
const verifyAccount = (accessToken: string) =>
  ctx.app.inject({ url: '/api/v1/accounts/verify_credentials', headers: { authorization: `Bearer ${accessToken}` } });

function assertError(res: LightMyRequestResponse, status: number, error: string, description?: string) {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body.error, error);
  assert.equal(typeof body.error_description, 'string');
  if (description) assert.equal(body.error_description, description);
  assert.match(String(res.headers['cache-control']), /no-store/);
}

const invalidGrant = (res: LightMyRequestResponse) => assertError(res, 400, 'invalid_grant', wording.invalid_grant);
const SEED_INVALID_GRANT =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';

describe('client authentication', () => {
  test('by body and by HTTP Basic', async () => {
    const body = await token({ grant_type: 'client_credentials', ...withSecret() });
    assert.equal(body.statusCode, 200, body.body);
    const basic = await token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(client.client_id, client.client_secret) },
    );
    assert.equal(basic.statusCode, 200, basic.body);
    // Basic with client_id repeated in the body is still one method
    const both = await token(
      { grant_type: 'client_credentials', client_id: client.client_id },
      { authorization: basicAuth(client.client_id, client.client_secret) },
    );
    assert.equal(both.statusCode, 200, both.body);
  });

  test('body and Basic at once → invalid_request', async () => {
    const res = await token(
      { grant_type: 'client_credentials', ...withSecret() },
      { authorization: basicAuth(client.client_id, client.client_secret) },
    );
    assertError(res, 400, 'invalid_request');
  });

  test('wrong, missing or unknown credentials → 401 invalid_client with WWW-Authenticate', async () => {
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ client_id: client.client_id, client_secret: 'wrong' }, {}],
      [{ client_id: client.client_id }, {}],
      [{ client_secret: client.client_secret }, {}],
      [{ client_id: 'unknown', client_secret: client.client_secret }, {}],
      [{}, {}],
      [{}, { authorization: basicAuth(client.client_id, 'wrong') }],
      [{}, { authorization: basicAuth('unknown', client.client_secret) }],
    ];
    for (const [credentials, headers] of cases) {
      const res = await token({ grant_type: 'client_credentials', ...credentials }, headers);
      assertError(res, 401, 'invalid_client', wording.invalid_client);
      assert.match(String(res.headers['www-authenticate']), /^Basic /, JSON.stringify(credentials));
    }
  });

  test('the seed wording for invalid_client', () => {
    assert.equal(
      wording.invalid_client,
      'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
    );
    assert.equal(wording.invalid_grant, SEED_INVALID_GRANT);
    assert.equal(wording.invalid_scope, 'The requested scope is invalid, unknown, or malformed.');
  });
});

describe('grant types', () => {
  test('missing grant_type → invalid_request', async () => {
    assertError(await token({ ...withSecret() }), 400, 'invalid_request');
    assertError(await token({ grant_type: '', ...withSecret() }), 400, 'invalid_request');
  });

  test('password, implicit, unknown, and refresh_token while refresh tokens are off → unsupported_grant_type', async () => {
    for (const grant of [
      'password',
      'refresh_token',
      'implicit',
      'urn:ietf:params:oauth:grant-type:device_code',
      'hoge',
    ]) {
      const res = await token({
        grant_type: grant,
        username: 'alice',
        password: 'alice-password',
        refresh_token: 'x',
        ...withSecret(),
      });
      assertError(res, 400, 'unsupported_grant_type');
    }
  });

  test('a repeated grant_type → invalid_request', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...formBody([
        ['grant_type', 'client_credentials'],
        ['grant_type', 'authorization_code'],
        ['client_id', client.client_id],
        ['client_secret', client.client_secret],
      ]),
    });
    assertError(res, 400, 'invalid_request');
  });
});

describe('grant_type=authorization_code', () => {
  test('answers exactly access_token, token_type, scope, created_at; no-store', async () => {
    const own = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar, { scope: 'write read' });
    const res = await exchangeCode(ctx.app, own, code);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'created_at', 'scope', 'token_type']);
    assert.match(body.access_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'write read', 'in the order requested');
    assert.ok(Number.isInteger(body.created_at));
    assert.ok(Math.abs(body.created_at - Date.now() / 1000) < 60);
    assert.match(String(res.headers['cache-control']), /no-store/);
    assert.equal(res.headers.pragma, 'no-cache');
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  test('multipart, JSON and urlencoded bodies all work', async () => {
    const own = await registerApp(ctx.app);
    const fields = (code: string): [string, string][] => [
      ['grant_type', 'authorization_code'],
      ['code', code],
      ['redirect_uri', own.redirect_uris[0]!],
      ['client_id', own.client_id],
      ['client_secret', own.client_secret],
    ];
    const multipart = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...multipartBody(fields(await authorize(ctx.app, own, jar))),
    });
    assert.equal(multipart.statusCode, 200, multipart.body);
    const urlencoded = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      ...formBody(fields(await authorize(ctx.app, own, jar))),
    });
    assert.equal(urlencoded.statusCode, 200, urlencoded.body);
    const json = await token(Object.fromEntries(fields(await authorize(ctx.app, own, jar))));
    assert.equal(json.statusCode, 200, json.body);
  });

  test('a scope sent with the code is ignored: the token has the granted scopes', async () => {
    const own = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar, { scope: 'read' });
    const res = await exchangeCode(ctx.app, own, code, { scope: 'read write follow' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().scope, 'read');
  });

  test('a replayed code fails with invalid_grant and revokes the token issued from it', async () => {
    const own = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar);
    const first = await exchangeCode(ctx.app, own, code);
    assert.equal(first.statusCode, 200);
    const accessToken = first.json().access_token;
    assert.equal((await verifyAccount(accessToken)).statusCode, 200);
    invalidGrant(await exchangeCode(ctx.app, own, code));
    const after = await verifyAccount(accessToken);
    assert.equal(after.statusCode, 401);
    assert.deepEqual(after.json(), { error: 'The access token is invalid' });
    invalidGrant(await exchangeCode(ctx.app, own, code));
  });

  test('a code past its 10 minutes → invalid_grant; within them it works', async () => {
    const own = await registerApp(ctx.app);
    const late = await authorize(ctx.app, own, jar);
    const inTime = await authorize(ctx.app, own, jar);
    ctx.clock.advance(599);
    assert.equal((await exchangeCode(ctx.app, own, inTime)).statusCode, 200);
    ctx.clock.advance(2);
    invalidGrant(await exchangeCode(ctx.app, own, late));
  });

  test('AUTHORIZATION_CODE_TTL sets how long a code lives', async () => {
    const short = await testApp({ AUTHORIZATION_CODE_TTL: '60' });
    try {
      const own = await registerApp(short.app);
      await makeUser(short.deps, 'bob', 'bob-password');
      const browser = await signIn(short.app, 'bob', 'bob-password');
      const late = await authorize(short.app, own, browser);
      const inTime = await authorize(short.app, own, browser);
      short.clock.advance(59);
      assert.equal((await exchangeCode(short.app, own, inTime)).statusCode, 200);
      short.clock.advance(2);
      invalidGrant(await exchangeCode(short.app, own, late));
    } finally {
      await short.close();
    }
  });

  test("a spent code presented by another, authenticated client → invalid_grant, and the victim's grant survives", async () => {
    const own = await registerApp(ctx.app);
    const stranger = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar);
    const first = await exchangeCode(ctx.app, own, code);
    assert.equal(first.statusCode, 200);
    invalidGrant(await exchangeCode(ctx.app, stranger, code));
    assert.equal(
      (await verifyAccount(first.json().access_token)).statusCode,
      200,
      "a stranger's attempt revokes nothing",
    );
    // the code's own client replaying it still revokes
    invalidGrant(await exchangeCode(ctx.app, own, code));
    assert.equal((await verifyAccount(first.json().access_token)).statusCode, 401);
  });

  test("another client's code → invalid_grant, and the code still works for its own client", async () => {
    const own = await registerApp(ctx.app);
    const thief = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar);
    invalidGrant(await exchangeCode(ctx.app, thief, code));
    const res = await exchangeCode(ctx.app, own, code);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      (await verifyAccount(res.json().access_token)).statusCode,
      200,
      'the failed attempt did not count as a replay',
    );
  });

  test('its own client id with a wrong secret → 401 invalid_client, and the code is not used up', async () => {
    const own = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar);
    for (const secret of ['wrong', own.client_secret.slice(1), '']) {
      const res = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: own.redirect_uris[0],
        client_id: own.client_id,
        client_secret: secret,
      });
      assertError(res, 401, 'invalid_client');
    }
    const res = await exchangeCode(ctx.app, own, code);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      (await verifyAccount(res.json().access_token)).statusCode,
      200,
      'the failed attempts did not count as a replay',
    );
  });

  test('a redirect URI other than the one authorized → invalid_grant, and the code is not used up', async () => {
    const own = await registerApp(ctx.app, {
      redirect_uris: ['https://client.example/cb', 'https://client.example/other'],
    });
    const code = await authorize(ctx.app, own, jar);
    for (const uri of [
      'https://client.example/other',
      'https://client.example/cb/',
      'https://evil.example/cb',
      'https://CLIENT.example/cb',
    ]) {
      invalidGrant(await exchangeCode(ctx.app, own, code, { redirect_uri: uri }));
    }
    assert.equal((await exchangeCode(ctx.app, own, code)).statusCode, 200);
  });

  test('missing redirect_uri or code → invalid_request; an unknown code → invalid_grant', async () => {
    const own = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar);
    const missing = await token({ grant_type: 'authorization_code', code, ...withSecret(own) });
    assertError(missing, 400, 'invalid_request', 'Missing required parameter: redirect_uri.');
    assertError(
      await token({ grant_type: 'authorization_code', redirect_uri: own.redirect_uris[0], ...withSecret(own) }),
      400,
      'invalid_request',
    );
    invalidGrant(await exchangeCode(ctx.app, own, 'x'.repeat(43)));
    assert.equal((await exchangeCode(ctx.app, own, code)).statusCode, 200, 'the failed attempts did not use it up');
  });

  test('PKCE: right verifier works; wrong or missing verifier → invalid_grant and the code survives', async () => {
    const own = await registerApp(ctx.app);
    const { verifier, challenge } = pkcePair();
    const code = await authorize(ctx.app, own, jar, { challenge });
    invalidGrant(await exchangeCode(ctx.app, own, code, { code_verifier: pkcePair().verifier }));
    invalidGrant(await exchangeCode(ctx.app, own, code));
    invalidGrant(await exchangeCode(ctx.app, own, code, { code_verifier: '' }));
    invalidGrant(await exchangeCode(ctx.app, own, code, { code_verifier: challenge }));
    const res = await exchangeCode(ctx.app, own, code, { code_verifier: verifier });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('PKCE: a verifier for a code made without a challenge → invalid_grant', async () => {
    const own = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar);
    invalidGrant(await exchangeCode(ctx.app, own, code, { code_verifier: pkcePair().verifier }));
    assert.equal((await exchangeCode(ctx.app, own, code)).statusCode, 200);
  });

  test('HTTP Basic works for the code exchange too', async () => {
    const own = await registerApp(ctx.app);
    const code = await authorize(ctx.app, own, jar);
    const res = await token(
      { grant_type: 'authorization_code', code, redirect_uri: own.redirect_uris[0] },
      { authorization: basicAuth(own.client_id, own.client_secret) },
    );
    assert.equal(res.statusCode, 200, res.body);
  });

  test('each authorization gets its own token (tokens are stored hashed, never handed out twice)', async () => {
    const own = await registerApp(ctx.app);
    const a = await exchangeCode(ctx.app, own, await authorize(ctx.app, own, jar));
    const b = await exchangeCode(ctx.app, own, await authorize(ctx.app, own, jar));
    assert.notEqual(a.json().access_token, b.json().access_token);
  });
});

describe('grant_type=client_credentials', () => {
  test('scope defaults to read; the token has no user', async () => {
    const own = await registerApp(ctx.app, { scopes: 'read write' });
    const res = await token({ grant_type: 'client_credentials', ...withSecret(own) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'created_at', 'scope', 'token_type']);
    assert.equal(body.scope, 'read');
    assert.equal(body.token_type, 'Bearer');
    const me = await verifyAccount(body.access_token);
    assert.equal(me.statusCode, 422);
    assert.deepEqual(me.json(), { error: 'This method requires an authenticated user' });
    const rows = await ctx.deps.db.query<{ user_id: number | null }>(
      'SELECT user_id FROM access_tokens WHERE application_id = $1',
      [Number(own.id)],
    );
    assert.deepEqual(rows, [{ user_id: null }]);
  });

  test('scope escalation → invalid_scope', async () => {
    const reader = await registerApp(ctx.app, { scopes: 'read' });
    for (const scope of ['write', 'read write', 'profile', 'admin:read', 'hoge', 'read:statuses write:statuses']) {
      assertError(
        await token({ grant_type: 'client_credentials', scope, ...withSecret(reader) }),
        400,
        'invalid_scope',
        wording.invalid_scope,
      );
    }
    const writer = await registerApp(ctx.app, { scopes: 'write' });
    assertError(await token({ grant_type: 'client_credentials', ...withSecret(writer) }), 400, 'invalid_scope');
  });

  test('a granular scope under a registered parent is allowed', async () => {
    const reader = await registerApp(ctx.app, { scopes: 'read' });
    const res = await token({
      grant_type: 'client_credentials',
      scope: 'read:statuses read:accounts read:statuses',
      ...withSecret(reader),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().scope, 'read:statuses read:accounts');
  });

  test('no expires_in or refresh_token while ACCESS_TOKEN_TTL is unset', async () => {
    const res = await token({ grant_type: 'client_credentials', ...withSecret() });
    assert.equal(res.json().expires_in, undefined);
    assert.equal(res.json().refresh_token, undefined);
  });
});

describe('CORS', () => {
  test('the token endpoint answers browser clients from any origin', async () => {
    const res = await ctx.app.inject({
      method: 'OPTIONS',
      url: '/oauth/token',
      headers: { origin: 'https://elk.example', 'access-control-request-method': 'POST' },
    });
    assert.ok(res.statusCode < 300);
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });
});
