// RFC 9700 §4.2.4 and §4.16: no response leaks its URL through Referer or lets itself be framed,
// whatever answers it (page, JSON, redirect carrying a code, error, 404); secrets compare in
// constant time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sameSecret } from '../src/secrets.js';
import {
  cookieHeader,
  cookiesOf,
  csrfOf,
  makeUser,
  registerApp,
  signIn,
  testApp,
  type TestContext,
} from './support/app.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

function assertGuarded(res: { headers: Record<string, unknown>; statusCode: number }, what: string): void {
  assert.equal(res.headers['referrer-policy'], 'no-referrer', `${what} (${res.statusCode}): Referrer-Policy`);
  assert.equal(res.headers['x-frame-options'], 'DENY', `${what} (${res.statusCode}): X-Frame-Options`);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what} (${res.statusCode}): X-Content-Type-Options`);
}

test('every kind of answer carries Referrer-Policy: no-referrer and X-Frame-Options: DENY', async () => {
  const client = await registerApp(ctx.app);
  const { username, password } = await makeUser(ctx.deps);
  const jar = await signIn(ctx.app, username, password);
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0]!,
    scope: 'read',
    state: 's',
  });

  const consent = await ctx.app.inject({ url: `/oauth/authorize?${query}`, headers: { cookie: cookieHeader(jar) } });
  assertGuarded(consent, 'consent page');
  const redirect = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { cookie: cookieHeader(cookiesOf(consent, jar)) },
    payload: { ...Object.fromEntries(query), decision: 'authorize', _csrf: csrfOf(consent.body) },
  });
  assert.equal(redirect.statusCode, 302);
  assertGuarded(redirect, 'redirect carrying the code');

  const code = new URL(redirect.headers.location as string).searchParams.get('code')!;
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
  assertGuarded(token, 'token answer');

  const errorRedirect = await ctx.app.inject({
    url: `/oauth/authorize?${new URLSearchParams({ ...Object.fromEntries(query), response_type: 'token' })}`,
    headers: { cookie: cookieHeader(jar) },
  });
  assert.equal(errorRedirect.statusCode, 302);
  assertGuarded(errorRedirect, 'error redirect');
  assertGuarded(await ctx.app.inject({ url: '/oauth/authorize?client_id=nope' }), 'error page');
  assertGuarded(await ctx.app.inject({ method: 'POST', url: '/oauth/token', payload: {} }), 'JSON error');
  assertGuarded(await ctx.app.inject({ url: '/no/such/thing' }), '404');
  assertGuarded(await ctx.app.inject({ url: '/auth/sign_in' }), 'sign-in page');
});

test('sameSecret: equal only for identical input, any length difference is unequal (constant-time compare underneath)', () => {
  const a = 'x'.repeat(43);
  assert.equal(sameSecret(a, a), true);
  assert.equal(sameSecret(a, `${a.slice(0, 42)}y`), false);
  assert.equal(sameSecret(a, a.slice(0, 42)), false);
  assert.equal(sameSecret('', ''), true);
  assert.equal(sameSecret('é', 'e\u0301'), false);
});
