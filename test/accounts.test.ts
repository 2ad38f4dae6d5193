// GET /api/v1/accounts/verify_credentials and GET|POST /oauth/userinfo (SPEC §3).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerApp, testApp, userToken, type TestContext } from './support/app.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

let users = 0;
/** A user token with exactly these scopes (a new user each time). */
async function tokenWith(scope: string) {
  const { token, user } = await userToken(ctx, { scope, username: `acct_user${++users}` });
  assert.equal(token.scope, scope);
  return { accessToken: token.access_token, user };
}

async function appToken(scope: string): Promise<string> {
  const app = await registerApp(ctx.app, { scopes: scope });
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', scope, client_id: app.client_id, client_secret: app.client_secret },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().access_token;
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const verify = (t: string) => ctx.app.inject({ url: '/api/v1/accounts/verify_credentials', headers: bearer(t) });
/** Every field Mastodon 4.4 sends in a CredentialAccount. */
const CREDENTIAL_ACCOUNT_FIELDS = [
  'id',
  'username',
  'acct',
  'display_name',
  'locked',
  'bot',
  'discoverable',
  'indexable',
  'group',
  'created_at',
  'note',
  'url',
  'uri',
  'avatar',
  'avatar_static',
  'header',
  'header_static',
  'followers_count',
  'following_count',
  'statuses_count',
  'last_status_at',
  'hide_collections',
  'noindex',
  'emojis',
  'roles',
  'fields',
  'source',
  'role',
];
const OUTSIDE = { error: 'This action is outside the authorized scopes' };
const INVALID = { error: 'The access token is invalid' };
const NO_USER = { error: 'This method requires an authenticated user' };

describe('GET /api/v1/accounts/verify_credentials', () => {
  test('a user token with read, read:accounts or profile → the account', async () => {
    for (const scope of ['read', 'read:accounts', 'profile', 'write read']) {
      const { accessToken, user } = await tokenWith(scope);
      const res = await verify(accessToken);
      assert.equal(res.statusCode, 200, `${scope}: ${res.body}`);
      const body = res.json();
      // the whole CredentialAccount (each field's value is checked in test/mastodon-answers.test.ts)
      assert.deepEqual(Object.keys(body).sort(), [...CREDENTIAL_ACCOUNT_FIELDS].sort());
      assert.equal(body.id, String(user.id));
      assert.equal(typeof body.id, 'string');
      assert.equal(body.username, user.username);
      assert.equal(body.acct, user.username);
      assert.equal(body.display_name, '');
      assert.equal(new Date(body.created_at).toISOString(), body.created_at);
      assert.match(body.created_at, /T00:00:00\.000Z$/);
    }
  });

  test('a user token without any of them → 403 outside the authorized scopes', async () => {
    for (const scope of ['write', 'read:statuses', 'push', 'follow']) {
      const { accessToken } = await tokenWith(scope);
      const res = await verify(accessToken);
      assert.equal(res.statusCode, 403, scope);
      assert.deepEqual(res.json(), OUTSIDE);
    }
  });

  test('an app token → 422 requires an authenticated user', async () => {
    const res = await verify(await appToken('read'));
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json(), NO_USER);
  });

  test('a bad or missing token → 401', async () => {
    for (const res of [await verify('nope'), await ctx.app.inject({ url: '/api/v1/accounts/verify_credentials' })]) {
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), INVALID);
    }
  });

  test('the Bearer prefix in any case', async () => {
    const { accessToken } = await tokenWith('read');
    const res = await ctx.app.inject({
      url: '/api/v1/accounts/verify_credentials',
      headers: { authorization: `bearer ${accessToken}` },
    });
    assert.equal(res.statusCode, 200);
  });
});

describe('/oauth/userinfo', () => {
  test('GET and POST with a profile token → iss, sub, name, preferred_username', async () => {
    const { accessToken, user } = await tokenWith('profile');
    for (const method of ['GET', 'POST'] as const) {
      const res = await ctx.app.inject({ method, url: '/oauth/userinfo', headers: bearer(accessToken) });
      assert.equal(res.statusCode, 200, `${method}: ${res.body}`);
      const body = res.json();
      assert.equal(body.iss, 'http://doorman.test');
      assert.equal(body.sub, String(user.id));
      assert.equal(body.preferred_username, user.username);
      assert.equal(typeof body.name, 'string');
      assert.ok(body.name.length > 0);
    }
  });

  test('read (or read:accounts) alone is not enough → 403', async () => {
    for (const scope of ['read', 'read:accounts', 'write read']) {
      const { accessToken } = await tokenWith(scope);
      for (const method of ['GET', 'POST'] as const) {
        const res = await ctx.app.inject({ method, url: '/oauth/userinfo', headers: bearer(accessToken) });
        assert.equal(res.statusCode, 403, `${scope} ${method}`);
        assert.deepEqual(res.json(), OUTSIDE);
      }
    }
  });

  test('a bad token → 401; an app token with profile → 422', async () => {
    const bad = await ctx.app.inject({ url: '/oauth/userinfo', headers: bearer('nope') });
    assert.equal(bad.statusCode, 401);
    assert.deepEqual(bad.json(), INVALID);
    const app = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/userinfo',
      headers: bearer(await appToken('profile')),
    });
    assert.equal(app.statusCode, 422);
    assert.deepEqual(app.json(), NO_USER);
  });

  test('answers CORS requests from any origin', async () => {
    const res = await ctx.app.inject({
      method: 'OPTIONS',
      url: '/oauth/userinfo',
      headers: { origin: 'https://elk.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });
});
