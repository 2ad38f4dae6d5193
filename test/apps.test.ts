// POST /api/v1/apps and GET /api/v1/apps/verify_credentials (SPEC §3).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerApp, testApp, userToken, type TestContext } from './support/app.js';
import { formBody, multipartBody } from './support/bodies.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

const register = (body: { payload: unknown; headers?: Record<string, string> }) =>
  ctx.app.inject({ method: 'POST', url: '/api/v1/apps', ...body } as never);
const json = (payload: Record<string, unknown>) => register({ payload });

const ENTITY_KEYS = [
  'client_id',
  'client_secret',
  'client_secret_expires_at',
  'id',
  'name',
  'redirect_uri',
  'redirect_uris',
  'scopes',
  'website',
];

describe('POST /api/v1/apps', () => {
  test('a form body gives the Application entity, exactly', async () => {
    const res = await register(
      formBody([
        ['client_name', 'My App'],
        ['redirect_uris', 'https://app.example/cb'],
        ['scopes', 'read write'],
      ]),
    );
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ENTITY_KEYS);
    assert.equal(typeof body.id, 'string');
    assert.match(body.id, /^\d+$/);
    assert.equal(body.name, 'My App');
    assert.equal(body.website, null);
    assert.deepEqual(body.scopes, ['read', 'write']);
    assert.equal(body.redirect_uri, 'https://app.example/cb');
    assert.deepEqual(body.redirect_uris, ['https://app.example/cb']);
    assert.match(body.client_id, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!body.client_id.startsWith('-'));
    assert.match(body.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.client_secret_expires_at, 0);
    assert.match(String(res.headers['cache-control']), /no-store/);
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  test('a JSON body with an array of redirect URIs and a website', async () => {
    const res = await json({
      client_name: 'Json App',
      redirect_uris: ['https://app.example/cb', 'app://cb', 'urn:ietf:wg:oauth:2.0:oob'],
      website: 'https://app.example',
    });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.redirect_uris, ['https://app.example/cb', 'app://cb', 'urn:ietf:wg:oauth:2.0:oob']);
    assert.equal(body.redirect_uri, 'https://app.example/cb\napp://cb\nurn:ietf:wg:oauth:2.0:oob');
    assert.equal(body.website, 'https://app.example');
    assert.deepEqual(body.scopes, ['read'], 'scopes default to read');
  });

  test('a multipart body (curl -F)', async () => {
    const res = await register(
      multipartBody([
        ['client_name', 'Multipart App'],
        ['redirect_uris', 'https://app.example/cb'],
        ['scopes', 'read write push'],
        ['website', 'https://app.example/'],
      ]),
    );
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.name, 'Multipart App');
    assert.deepEqual(body.scopes, ['read', 'write', 'push']);
    assert.deepEqual(body.redirect_uris, ['https://app.example/cb']);
    assert.equal(body.website, 'https://app.example/');
  });

  test('multipart with repeated redirect_uris keys and with brackets', async () => {
    for (const key of ['redirect_uris', 'redirect_uris[]']) {
      const res = await register(
        multipartBody([
          ['client_name', 'Multi'],
          [key, 'https://a.example/cb'],
          [key, 'https://b.example/cb'],
        ]),
      );
      assert.equal(res.statusCode, 200, `${key}: ${res.body}`);
      assert.deepEqual(res.json().redirect_uris, ['https://a.example/cb', 'https://b.example/cb'], key);
    }
  });

  test('redirect_uris as one string separated by newlines or spaces', async () => {
    for (const sent of [
      'https://a.example/cb\nhttps://b.example/cb',
      'https://a.example/cb https://b.example/cb',
      'https://a.example/cb\r\n  https://b.example/cb\n',
    ]) {
      const res = await json({ client_name: 'Split', redirect_uris: sent });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().redirect_uris, ['https://a.example/cb', 'https://b.example/cb']);
      assert.equal(res.json().redirect_uri, 'https://a.example/cb\nhttps://b.example/cb');
    }
  });

  test('redirect_uris as repeated form keys and as redirect_uris[]', async () => {
    for (const key of ['redirect_uris', 'redirect_uris[]']) {
      const res = await register(
        formBody([
          ['client_name', 'Repeated'],
          [key, 'https://a.example/cb'],
          [key, 'myapp://cb'],
        ]),
      );
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().redirect_uris, ['https://a.example/cb', 'myapp://cb'], key);
    }
    // a single bracketed value is a list of one
    const one = await register(
      formBody([
        ['client_name', 'One'],
        ['redirect_uris[]', 'https://a.example/cb'],
      ]),
    );
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual(one.json().redirect_uris, ['https://a.example/cb']);
  });

  test('scopes: duplicates collapse, an array works, a granular scope works', async () => {
    const dup = await json({ client_name: 'Dup', redirect_uris: 'https://a.example/cb', scopes: 'read read write' });
    assert.deepEqual(dup.json().scopes, ['read', 'write']);
    const arr = await json({
      client_name: 'Arr',
      redirect_uris: 'https://a.example/cb',
      scopes: ['read', 'write:statuses'],
    });
    assert.equal(arr.statusCode, 200, arr.body);
    assert.deepEqual(arr.json().scopes, ['read', 'write:statuses']);
    const bracket = await register(
      formBody([
        ['client_name', 'B'],
        ['redirect_uris', 'https://a.example/cb'],
        ['scopes[]', 'read'],
        ['scopes[]', 'admin:read'],
      ]),
    );
    assert.equal(bracket.statusCode, 200, bracket.body);
    assert.deepEqual(bracket.json().scopes, ['read', 'admin:read']);
  });

  test('accepted redirect URI kinds: http, https, custom scheme, loopback, OOB', async () => {
    for (const uri of [
      'http://app.example/cb',
      'https://app.example/cb?x=1',
      'myapp://callback',
      'http://127.0.0.1:8080/cb',
      'http://[::1]/cb',
      'urn:ietf:wg:oauth:2.0:oob',
    ]) {
      const res = await json({ client_name: 'Kinds', redirect_uris: uri });
      assert.equal(res.statusCode, 200, `${uri}: ${res.body}`);
    }
  });

  test('redirect URIs: browser schemes, userinfo, wildcards and empty hosts → 422; app schemes → 200', async () => {
    for (const uri of [
      'ftp://app.example/cb',
      'ws://app.example/cb',
      'chrome://settings',
      'about:blank',
      'view-source:https://a.example/',
      'intent://cb',
      'https://user:pass@app.example/cb',
      'https://*.wild.example/cb',
      'https:///nohost',
    ]) {
      const res = await json({ client_name: 'Bad', redirect_uris: uri });
      assert.equal(res.statusCode, 422, `${uri}: ${res.body}`);
      assert.match(res.json().error, /^Validation failed: redirect_uris /);
    }
    for (const uri of ['tusky://oauth', 'com.example.app:/cb']) {
      const res = await json({ client_name: 'App', redirect_uris: uri });
      assert.equal(res.statusCode, 200, `${uri}: ${res.body}`);
      assert.deepEqual(res.json().redirect_uris, [uri]);
    }
  });

  /** A 422 whose message names the field. */
  async function refused(payload: Record<string, unknown>, field: string) {
    const res = await json(payload);
    assert.equal(res.statusCode, 422, `${JSON.stringify(payload)} → ${res.statusCode} ${res.body}`);
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['error']);
    assert.match(body.error, /^Validation failed: /);
    assert.ok(body.error.includes(field), `${body.error} should name ${field}`);
  }

  test('client_name missing, blank or longer than 60 characters → 422 naming client_name', async () => {
    await refused({ redirect_uris: 'https://a.example/cb' }, 'client_name');
    await refused({ client_name: '', redirect_uris: 'https://a.example/cb' }, 'client_name');
    await refused({ client_name: '   ', redirect_uris: 'https://a.example/cb' }, 'client_name');
    await refused({ client_name: 'x'.repeat(61), redirect_uris: 'https://a.example/cb' }, 'client_name');
    await refused({ client_name: ['a', 'b'], redirect_uris: 'https://a.example/cb' }, 'client_name');
    const sixty = await json({ client_name: 'x'.repeat(60), redirect_uris: 'https://a.example/cb' });
    assert.equal(sixty.statusCode, 200);
  });

  test('bad redirect_uris → 422 naming redirect_uris', async () => {
    const bad: unknown[] = [
      undefined,
      '',
      '\n',
      [],
      [''],
      'javascript:alert(1)',
      'JavaScript://x/%0aalert(1)',
      'data:text/html,hi',
      'vbscript:x',
      'https://app.example/cb#frag',
      'https://app.example/cb#',
      '/relative/cb',
      'cb',
      'myapp:callback',
      'https://',
      'https://ok.example/cb javascript:alert(1)',
      `https://app.example/${'x'.repeat(2000)}`,
      { uri: 'https://a.example/cb' },
      42,
    ];
    for (const uris of bad) {
      const payload: Record<string, unknown> = { client_name: 'Bad' };
      if (uris !== undefined) payload.redirect_uris = uris;
      await refused(payload, 'redirect_uris');
    }
  });

  test('an unknown or malformed scope → 422 naming scopes', async () => {
    await refused({ client_name: 'S', redirect_uris: 'https://a.example/cb', scopes: 'read hoge' }, 'scopes');
    await refused({ client_name: 'S', redirect_uris: 'https://a.example/cb', scopes: 'admin' }, 'scopes');
    await refused({ client_name: 'S', redirect_uris: 'https://a.example/cb', scopes: 'read:nothing' }, 'scopes');
    await refused({ client_name: 'S', redirect_uris: 'https://a.example/cb', scopes: 'read "write"' }, 'scopes');
    await refused({ client_name: 'S', redirect_uris: 'https://a.example/cb', scopes: 12 }, 'scopes');
  });

  test('a bad website → 422 naming website', async () => {
    for (const website of [
      'not a url',
      'javascript:alert(1)',
      'ftp://files.example',
      'https://',
      `https://a.example/${'x'.repeat(2000)}`,
      ['https://a.example'],
    ]) {
      await refused({ client_name: 'W', redirect_uris: 'https://a.example/cb', website }, 'website');
    }
    const blank = await json({ client_name: 'W', redirect_uris: 'https://a.example/cb', website: '' });
    assert.equal(blank.statusCode, 200);
    assert.equal(blank.json().website, null, 'a blank website is null, never ""');
  });

  test('answers CORS requests from any origin', async () => {
    const res = await ctx.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/apps',
      headers: { origin: 'https://web.client.example', 'access-control-request-method': 'POST' },
    });
    assert.ok(res.statusCode < 300, String(res.statusCode));
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });
});

describe('APP_REGISTRATION=closed', () => {
  let closed: TestContext;
  before(async () => (closed = await testApp({ APP_REGISTRATION: 'closed' })));
  after(() => closed.close());

  test('POST /api/v1/apps → 403 JSON, nothing stored', async () => {
    const res = await closed.app.inject({
      method: 'POST',
      url: '/api/v1/apps',
      payload: { client_name: 'X', redirect_uris: 'https://a.example/cb' },
    });
    assert.equal(res.statusCode, 403);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(typeof res.json().error, 'string');
    const rows = await closed.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM applications');
    assert.equal(rows[0]!.n, 0);
  });
});

describe('GET /api/v1/apps/verify_credentials', () => {
  const verify = (token?: string, on = ctx) =>
    on.app.inject({
      url: '/api/v1/apps/verify_credentials',
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  const VERIFY_KEYS = ['id', 'name', 'redirect_uri', 'redirect_uris', 'scopes', 'website'];

  test('a user token → the entity without client_id or client_secret', async () => {
    const { client, token } = await userToken(ctx, { username: 'vc_user' });
    const res = await verify(token.access_token);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), VERIFY_KEYS);
    assert.equal(body.id, client.id);
    assert.equal(body.name, 'Test app');
    assert.deepEqual(body.scopes, client.scopes);
  });

  test('an app token (client_credentials, any scope) works too', async () => {
    const client = await registerApp(ctx.app, { scopes: 'write' });
    const tok = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        scope: 'write',
      },
    });
    assert.equal(tok.statusCode, 200, tok.body);
    const res = await verify(tok.json().access_token);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json()).sort(), VERIFY_KEYS);
    assert.equal(res.json().id, client.id);
  });

  test('missing, malformed, unknown or revoked token → 401 "The access token is invalid"', async () => {
    const invalid = { error: 'The access token is invalid' };
    for (const res of [
      await verify(),
      await verify('x'.repeat(43)),
      await ctx.app.inject({ url: '/api/v1/apps/verify_credentials', headers: { authorization: 'Basic abc' } }),
      await ctx.app.inject({ url: '/api/v1/apps/verify_credentials', headers: { authorization: 'Bearer' } }),
    ]) {
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), invalid);
    }
    const { client, token } = await userToken(ctx, { username: 'vc_revoked' });
    const revoked = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      payload: { client_id: client.client_id, client_secret: client.client_secret, token: token.access_token },
    });
    assert.equal(revoked.statusCode, 200);
    const res = await verify(token.access_token);
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), invalid);
  });

  test('an expired token (ACCESS_TOKEN_TTL set, clock moved) → 401', async () => {
    const ttl = await testApp({ ACCESS_TOKEN_TTL: '60' });
    try {
      const { token } = await userToken(ttl);
      assert.equal((await verify(token.access_token, ttl)).statusCode, 200);
      ttl.clock.advance(59);
      assert.equal((await verify(token.access_token, ttl)).statusCode, 200);
      ttl.clock.advance(2);
      const res = await verify(token.access_token, ttl);
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'The access token is invalid' });
    } finally {
      await ttl.close();
    }
  });
});
