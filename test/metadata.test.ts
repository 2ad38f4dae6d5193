// RFC 8414 metadata, CORS on API routes only, and RFC 9207 `iss` on every redirect to the client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  authorize,
  cookieHeader,
  cookiesOf,
  csrfOf,
  makeUser,
  registerApp,
  signIn,
  testApp,
  type TestContext,
} from './support/app.js';

const ISSUER = 'https://auth.example.org:8443/doorman';
const ORIGIN = 'https://spa.example.net';

describe('with refresh tokens on and operator scopes', () => {
  let ctx: TestContext;
  before(async () => (ctx = await testApp({ ISSUER, ACCESS_TOKEN_TTL: '600', SCOPES: 'reports:read reports:write' })));
  after(() => ctx.close());

  test('the document lists every field SPEC names, with the issuer exactly as configured', async () => {
    const res = await ctx.app.inject({ url: '/.well-known/oauth-authorization-server' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const m = res.json();
    assert.equal(m.issuer, ISSUER);
    assert.equal(m.authorization_endpoint, `${ISSUER}/oauth/authorize`);
    assert.equal(m.token_endpoint, `${ISSUER}/oauth/token`);
    assert.equal(m.app_registration_endpoint, `${ISSUER}/api/v1/apps`);
    assert.equal(m.revocation_endpoint, `${ISSUER}/oauth/revoke`);
    assert.equal(m.introspection_endpoint, `${ISSUER}/oauth/introspect`);
    assert.equal(m.userinfo_endpoint, `${ISSUER}/oauth/userinfo`);
    assert.equal(typeof m.service_documentation, 'string');
    assert.ok(URL.canParse(m.service_documentation));
    assert.deepEqual(m.response_types_supported, ['code']);
    assert.deepEqual(m.response_modes_supported, ['query']);
    assert.deepEqual([...m.grant_types_supported].sort(), [
      'authorization_code',
      'client_credentials',
      'refresh_token',
    ]);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    const methods = ['client_secret_basic', 'client_secret_post'];
    // public clients (none) get and revoke tokens, but never introspect
    assert.deepEqual([...m.token_endpoint_auth_methods_supported].sort(), [...methods, 'none']);
    assert.deepEqual([...m.revocation_endpoint_auth_methods_supported].sort(), [...methods, 'none']);
    assert.deepEqual([...m.introspection_endpoint_auth_methods_supported].sort(), methods);
    assert.equal(m.registration_endpoint, `${ISSUER}/oauth/register`);
    assert.equal(m.authorization_response_iss_parameter_supported, true);
    for (const scope of [
      'read',
      'write',
      'follow',
      'push',
      'profile',
      'read:statuses',
      'admin:read',
      'reports:read',
      'reports:write',
    ]) {
      assert.ok(m.scopes_supported.includes(scope), `scopes_supported lists ${scope}`);
    }
    assert.equal(new Set(m.scopes_supported).size, m.scopes_supported.length, 'no duplicate scopes');
  });

  test('every endpoint the document names is served here', async () => {
    const m = (await ctx.app.inject({ url: '/.well-known/oauth-authorization-server' })).json();
    for (const key of [
      'authorization_endpoint',
      'token_endpoint',
      'app_registration_endpoint',
      'revocation_endpoint',
      'introspection_endpoint',
      'userinfo_endpoint',
    ]) {
      const path = new URL(m[key]).pathname.slice('/doorman'.length);
      const method = key === 'authorization_endpoint' || key === 'userinfo_endpoint' ? 'GET' : 'POST';
      const res = await ctx.app.inject({ method, url: path, payload: method === 'POST' ? {} : undefined });
      assert.notEqual(res.statusCode, 404, `${key} → ${method} ${path}`);
    }
  });

  test('an operator scope can be registered and asked for', async () => {
    const client = await registerApp(ctx.app, { scopes: 'read reports:read' });
    assert.deepEqual(client.scopes, ['read', 'reports:read']);
  });
});

describe('without ACCESS_TOKEN_TTL', () => {
  let ctx: TestContext;
  before(async () => (ctx = await testApp({ ISSUER })));
  after(() => ctx.close());

  test('refresh_token is not offered', async () => {
    const m = (await ctx.app.inject({ url: '/.well-known/oauth-authorization-server' })).json();
    assert.deepEqual([...m.grant_types_supported].sort(), ['authorization_code', 'client_credentials']);
    assert.equal(m.issuer, ISSUER);
  });
});

describe('CORS and iss', () => {
  let ctx: TestContext;
  let jar: Record<string, string>;
  before(async () => {
    ctx = await testApp({ ISSUER });
    const { username, password } = await makeUser(ctx.deps, 'alice');
    jar = await signIn(ctx.app, username, password);
  });
  after(() => ctx.close());

  const API_ROUTES: [string, string][] = [
    ['POST', '/oauth/token'],
    ['POST', '/oauth/revoke'],
    ['POST', '/oauth/introspect'],
    ['GET', '/oauth/userinfo'],
    ['POST', '/oauth/userinfo'],
    ['GET', '/.well-known/oauth-authorization-server'],
    ['POST', '/api/v1/apps'],
    ['GET', '/api/v1/apps/verify_credentials'],
    ['GET', '/api/v1/accounts/verify_credentials'],
  ];

  test('API routes answer a cross-origin request with Access-Control-Allow-Origin, also on errors', async () => {
    for (const [method, url] of API_ROUTES) {
      const res = await ctx.app.inject({
        method: method as 'GET' | 'POST',
        url,
        headers: { origin: ORIGIN },
        payload: method === 'POST' ? {} : undefined,
      });
      assert.ok(
        ['*', ORIGIN].includes(String(res.headers['access-control-allow-origin'])),
        `${method} ${url} (${res.statusCode})`,
      );
      // a browser client may read the Retry-After of a 429 or 503
      assert.match(String(res.headers['access-control-expose-headers']), /Retry-After/i, `${method} ${url}`);
    }
  });

  test('API routes answer a preflight', async () => {
    for (const [method, url] of API_ROUTES) {
      const res = await ctx.app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: ORIGIN,
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      assert.ok(res.statusCode === 204 || res.statusCode === 200, `preflight ${method} ${url}: ${res.statusCode}`);
      assert.ok(['*', ORIGIN].includes(String(res.headers['access-control-allow-origin'])), `preflight ${url}`);
      assert.match(String(res.headers['access-control-allow-methods']), new RegExp(method));
      assert.match(String(res.headers['access-control-allow-headers']).toLowerCase(), /authorization/);
      assert.equal(res.headers['access-control-max-age'], '600');
    }
  });

  test('page routes send no CORS headers, not even to a preflight', async () => {
    const client = await registerApp(ctx.app);
    const authorizeUrl = `/oauth/authorize?response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0]!)}`;
    for (const [method, url] of [
      ['GET', authorizeUrl],
      ['POST', '/oauth/authorize'],
      ['GET', '/auth/sign_in'],
      ['POST', '/auth/sign_in'],
      ['POST', '/auth/sign_out'],
      ['GET', '/oauth/authorized_applications'],
    ] as const) {
      const res = await ctx.app.inject({
        method,
        url,
        headers: { origin: ORIGIN },
        payload: method === 'POST' ? {} : undefined,
      });
      assert.equal(res.headers['access-control-allow-origin'], undefined, `${method} ${url}`);
      const preflight = await ctx.app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: ORIGIN, 'access-control-request-method': method },
      });
      assert.equal(preflight.headers['access-control-allow-origin'], undefined, `preflight ${url}`);
      assert.ok(preflight.statusCode < 500, `preflight ${url}: ${preflight.statusCode}`);
    }
  });

  function issOf(location: string): string | null {
    return new URL(location).searchParams.get('iss');
  }

  test('iss equals ISSUER on the code redirect, the deny redirect and error redirects', async () => {
    const client = await registerApp(ctx.app, { redirect_uris: 'https://client.example/cb?keep=1' });
    const base = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: client.redirect_uris[0]!,
      state: 'xyz',
    };

    // code
    const page = await ctx.app.inject({
      url: `/oauth/authorize?${new URLSearchParams(base)}`,
      headers: { cookie: cookieHeader(jar) },
    });
    assert.equal(page.statusCode, 200);
    const form = { ...base, _csrf: csrfOf(page.body) };
    const cookie = cookieHeader(cookiesOf(page, { ...jar }));
    const granted = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { cookie },
      payload: { ...form, decision: 'authorize' },
    });
    assert.equal(granted.statusCode, 302);
    const codeUrl = new URL(granted.headers.location as string);
    assert.equal(codeUrl.searchParams.get('iss'), ISSUER);
    assert.equal(codeUrl.searchParams.get('state'), 'xyz');
    assert.equal(codeUrl.searchParams.get('keep'), '1', 'the registered query is kept');
    assert.ok(codeUrl.searchParams.get('code'));

    // deny
    const denied = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { cookie },
      payload: { ...form, decision: 'deny' },
    });
    assert.equal(denied.statusCode, 302);
    assert.equal(issOf(denied.headers.location as string), ISSUER);
    assert.equal(new URL(denied.headers.location as string).searchParams.get('error'), 'access_denied');

    // errors found before consent, signed in or not
    for (const [extra, error] of [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'admin:write' }, 'invalid_scope'],
      [{ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
    ] as const) {
      for (const headers of [{ cookie: cookieHeader(jar) }, {}]) {
        const res = await ctx.app.inject({
          url: `/oauth/authorize?${new URLSearchParams({ ...base, ...extra })}`,
          headers,
        });
        assert.equal(res.statusCode, 302);
        const location = new URL(res.headers.location as string);
        assert.equal(location.searchParams.get('error'), error);
        assert.equal(location.searchParams.get('iss'), ISSUER);
        assert.equal(location.searchParams.get('state'), 'xyz');
      }
    }
  });

  test('remembered consent answers with iss too', async () => {
    const client = await registerApp(ctx.app);
    // a token makes the consent remembered
    const code = await authorize(ctx.app, client, jar, { scope: 'read' });
    const token = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: client.redirect_uris[0],
        client_id: client.client_id,
        client_secret: client.client_secret,
      },
    });
    assert.equal(token.statusCode, 200);
    const again = await ctx.app.inject({
      url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: client.redirect_uris[0]!, scope: 'read' })}`,
      headers: { cookie: cookieHeader(jar) },
    });
    assert.equal(again.statusCode, 302);
    assert.equal(issOf(again.headers.location as string), ISSUER);
    assert.equal(
      new URL(again.headers.location as string).searchParams.get('state'),
      null,
      'no state when none was sent',
    );
  });
});
