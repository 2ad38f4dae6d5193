// GET/POST /auth/sign_in and POST /auth/sign_out (SPEC §5).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { cookieHeader, cookiesOf, csrfOf, makeUser, signIn, testApp, type TestContext } from './support/app.js';

let ctx: TestContext;
before(async () => {
  ctx = await testApp();
  await makeUser(ctx.deps, 'alice', 'alice-password');
  await makeUser(ctx.deps, 'mallory', 'mallory-password');
});
after(() => ctx.close());

const SESSION = 'doorman_session';

/** GET the form, then POST it; returns the answer and the jar. */
async function submit(
  on: TestContext,
  fields: Record<string, string>,
  jar: Record<string, string> = {},
  returnTo?: string,
) {
  const form = await on.app.inject({
    url: `/auth/sign_in${returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`,
    headers: { cookie: cookieHeader(jar) },
  });
  cookiesOf(form, jar);
  const hidden = /name="return_to" value="([^"]*)"/.exec(form.body)?.[1] ?? '';
  const res = await on.app.inject({
    method: 'POST',
    url: '/auth/sign_in',
    headers: { cookie: cookieHeader(jar) },
    payload: { return_to: hidden.replaceAll('&amp;', '&'), ...fields, _csrf: csrfOf(form.body) },
  });
  cookiesOf(res, jar);
  return { res, jar, form };
}

/** Is this jar signed in? (the authorized applications page answers 200 only then) */
async function signedIn(jar: Record<string, string>, on = ctx): Promise<boolean> {
  const res = await on.app.inject({ url: '/oauth/authorized_applications', headers: { cookie: cookieHeader(jar) } });
  return res.statusCode === 200;
}

const sessionCookie = (res: LightMyRequestResponse) => res.cookies.find((c) => c.name === SESSION && c.value !== '');

describe('the sign-in form', () => {
  test('has the fields username and password and a "Log in" button, with a CSRF token', async () => {
    const res = await ctx.app.inject({ url: '/auth/sign_in' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<input[^>]*name="username"/);
    assert.match(
      res.body,
      /<input[^>]*name="password"[^>]*type="password"|<input[^>]*type="password"[^>]*name="password"/,
    );
    assert.match(res.body, /<label for="username">[^<]+<\/label>/);
    assert.match(res.body, /<label for="password">Password<\/label>/);
    assert.match(res.body, /<button[^>]*type="submit"[^>]*>Log in<\/button>/);
    assert.ok(csrfOf(res.body));
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.doesNotMatch(res.body, /<script/i, 'no JavaScript needed');
  });

  test('signs in by user name and by e-mail, in any case', async () => {
    for (const login of ['alice', 'alice@example.com', 'ALICE@Example.com', ' alice ']) {
      const { res, jar } = await submit(ctx, { username: login, password: 'alice-password' });
      assert.equal(res.statusCode, 303, `${login}: ${res.body}`);
      assert.equal(res.headers.location, '/oauth/authorized_applications');
      assert.ok(await signedIn(jar), login);
    }
  });

  test('a wrong password and an unknown user get the same generic message', async () => {
    const wrong = await submit(ctx, { username: 'alice', password: 'nope' });
    const unknown = await submit(ctx, { username: 'nobody', password: 'nope' });
    for (const { res, jar } of [wrong, unknown]) {
      assert.equal(res.statusCode, 401);
      assert.match(res.body, /Invalid username or password\./);
      assert.match(res.body, /<form[^>]*action="\/auth\/sign_in"/, 'the form again');
      assert.equal(sessionCookie(res), undefined);
      assert.ok(!(await signedIn(jar)));
    }
    const message = (html: string) => /<p class="error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
    assert.equal(message(wrong.res.body), message(unknown.res.body));
    assert.doesNotMatch(wrong.res.body, /alice-password|nope/, 'the password is never echoed');
  });

  test('missing fields and a missing CSRF token are refused without a session', async () => {
    const empty = await submit(ctx, { username: '', password: '' });
    assert.equal(empty.res.statusCode, 401);
    const noCsrf = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_in',
      payload: { username: 'alice', password: 'alice-password' },
    });
    assert.equal(noCsrf.statusCode, 403);
    assert.match(String(noCsrf.headers['content-type']), /^text\/html/);
    assert.equal(sessionCookie(noCsrf), undefined);
  });

  test('the session cookie is HttpOnly and SameSite=Lax, and not Secure on http', async () => {
    const { res } = await submit(ctx, { username: 'alice', password: 'alice-password' });
    const cookie = sessionCookie(res);
    assert.ok(cookie);
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.ok(!cookie.secure);
  });

  test('the session cookie is Secure when the issuer is https', async () => {
    const https = await testApp({ ISSUER: 'https://doorman.test' });
    try {
      await makeUser(https.deps, 'bob', 'bob-password');
      const { res, form, jar } = await submit(https, { username: 'bob', password: 'bob-password' });
      const cookie = res.cookies.find((c) => c.name === `__Host-${SESSION}`);
      assert.ok(cookie, 'the __Host- prefix on https');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.domain, undefined);
      const csrf = form.cookies.find((c) => c.name === '__Host-doorman_csrf');
      assert.ok(csrf?.secure, 'the CSRF cookie too');
      assert.match(String(form.headers['strict-transport-security']), /^max-age=\d+/);
      assert.ok(await signedIn(jar, https));
    } finally {
      await https.close();
    }
  });

  test('behind a trusted TLS proxy with an http issuer: Secure cookies and Strict-Transport-Security', async () => {
    const proxied = await testApp({ TRUST_PROXY: 'true' });
    try {
      await makeUser(proxied.deps, 'bob', 'bob-password');
      const headers = { 'x-forwarded-proto': 'https' };
      const form = await proxied.app.inject({ url: '/auth/sign_in', headers });
      const csrf = form.cookies.find((c) => c.name.endsWith('doorman_csrf'));
      assert.equal(csrf?.secure, true, 'the CSRF cookie is Secure');
      assert.match(String(form.headers['strict-transport-security']), /^max-age=\d+/);
      const jar = cookiesOf(form);
      const res = await proxied.app.inject({
        method: 'POST',
        url: '/auth/sign_in',
        headers: { ...headers, cookie: cookieHeader(jar) },
        payload: { username: 'bob', password: 'bob-password', _csrf: csrfOf(form.body) },
      });
      assert.equal(res.statusCode, 303);
      const cookie = res.cookies.find((c) => c.name === `__Host-${SESSION}`);
      assert.equal(cookie?.secure, true, 'the session cookie is Secure, with the __Host- prefix');
      const page = await proxied.app.inject({
        url: '/oauth/authorized_applications',
        headers: { ...headers, cookie: cookieHeader(cookiesOf(res, jar)) },
      });
      assert.equal(page.statusCode, 200);
      // plain http, not through the proxy: neither
      const plain = await proxied.app.inject({ url: '/auth/sign_in' });
      assert.ok(!plain.cookies.some((c) => c.secure));
      assert.equal(plain.headers['strict-transport-security'], undefined);
    } finally {
      await proxied.close();
    }
  });

  test('a new session id at sign-in: a cookie planted before no longer works after', async () => {
    // mallory signs in and plants her session cookie in alice's browser
    const planted = await signIn(ctx.app, 'mallory', 'mallory-password');
    const plantedId = planted[SESSION]!;
    assert.ok(await signedIn({ [SESSION]: plantedId }));
    const { res, jar } = await submit(ctx, { username: 'alice', password: 'alice-password' }, { ...planted });
    assert.equal(res.statusCode, 303);
    assert.ok(jar[SESSION]);
    assert.notEqual(jar[SESSION], plantedId);
    assert.ok(await signedIn(jar));
    assert.ok(!(await signedIn({ [SESSION]: plantedId })), 'the planted id is worth nothing now');
  });

  test('after sign-in, return_to a local path only', async () => {
    const local = await submit(
      ctx,
      { username: 'alice', password: 'alice-password' },
      {},
      '/oauth/authorize?client_id=x&scope=read',
    );
    assert.equal(local.res.headers.location, '/oauth/authorize?client_id=x&scope=read');
    for (const evil of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      'evil.example/x',
    ]) {
      const viaQuery = await submit(ctx, { username: 'alice', password: 'alice-password' }, {}, evil);
      assert.equal(viaQuery.res.headers.location, '/oauth/authorized_applications', `query ${evil}`);
      assert.ok(!viaQuery.form.body.includes('evil.example'), 'not even put in the form');
      const viaBody = await submit(ctx, { username: 'alice', password: 'alice-password', return_to: evil });
      assert.equal(viaBody.res.headers.location, '/oauth/authorized_applications', `body ${evil}`);
    }
  });

  test('return_to with non-ASCII characters: a redirect to the encoded path, never a 500', async () => {
    for (const [sent, expected] of [
      ['/☃', '/%E2%98%83'],
      ['/oauth/authorize?client_id=x&state=caf\u00e9', '/oauth/authorize?client_id=x&state=caf%C3%A9'],
      ['/a b', '/a%20b'],
    ] as const) {
      for (const way of ['query', 'body'] as const) {
        const { res, jar } =
          way === 'query'
            ? await submit(ctx, { username: 'alice', password: 'alice-password' }, {}, sent)
            : await submit(ctx, { username: 'alice', password: 'alice-password', return_to: sent });
        assert.equal(res.statusCode, 303, `${way} ${sent}: ${res.body.slice(0, 200)}`);
        assert.equal(res.headers.location, expected);
        assert.ok(sessionCookie(res), 'the cookie is sent');
        assert.ok(await signedIn(jar));
      }
    }
    // a lone surrogate or a control character cannot be a path: dropped
    for (const sent of ['/\ud800', '/\u0085x', '/\u007f']) {
      const { res } = await submit(ctx, { username: 'alice', password: 'alice-password', return_to: sent });
      assert.equal(res.statusCode, 303, JSON.stringify(sent));
      assert.equal(res.headers.location, '/oauth/authorized_applications');
    }
  });

  test('a failed sign-in keeps return_to in the form', async () => {
    const { res } = await submit(ctx, { username: 'alice', password: 'wrong' }, {}, '/oauth/authorize?client_id=abc');
    assert.equal(res.statusCode, 401);
    assert.match(res.body, /name="return_to" value="\/oauth\/authorize\?client_id=abc"/);
  });
});

describe('sign-out', () => {
  test('ends the session', async () => {
    const jar = await signIn(ctx.app, 'alice', 'alice-password');
    const sessionId = jar[SESSION]!;
    const page = await ctx.app.inject({
      url: '/oauth/authorized_applications',
      headers: { cookie: cookieHeader(jar) },
    });
    assert.equal(page.statusCode, 200);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_out',
      headers: { cookie: cookieHeader(cookiesOf(page, jar)) },
      payload: { _csrf: csrfOf(page.body) },
    });
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/auth\/sign_in/);
    const cleared = res.cookies.find((c) => c.name === SESSION);
    assert.ok(
      cleared &&
        (cleared.value === '' ||
          (cleared.maxAge !== undefined && cleared.maxAge <= 0) ||
          (cleared.expires && cleared.expires.getTime() < Date.now())),
    );
    assert.ok(!(await signedIn({ [SESSION]: sessionId })), 'the old id is dead on the server, not only in the browser');
    const rows = await ctx.deps.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sessions WHERE session_hash = $1',
      [(await import('../src/secrets.js')).hashSecret(sessionId)],
    );
    assert.equal(rows[0]!.n, 0);
  });

  test('a session ends by itself after 14 days', async () => {
    const fresh = await testApp();
    try {
      await makeUser(fresh.deps, 'zoe', 'zoe-password');
      const jar = await signIn(fresh.app, 'zoe', 'zoe-password');
      fresh.clock.advance(14 * 24 * 3600 - 60);
      assert.ok(await signedIn(jar, fresh));
      fresh.clock.advance(120);
      assert.ok(!(await signedIn(jar, fresh)));
    } finally {
      await fresh.close();
    }
  });

  test('needs a CSRF token', async () => {
    const jar = await signIn(ctx.app, 'alice', 'alice-password');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_out',
      headers: { cookie: cookieHeader(jar) },
      payload: {},
    });
    assert.equal(res.statusCode, 403);
    assert.ok(await signedIn(jar));
  });
});

describe('throttling', () => {
  let limited: TestContext;
  before(async () => {
    limited = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_SIGN_IN: '3' });
    await makeUser(limited.deps, 'carol', 'carol-password');
    await makeUser(limited.deps, 'dave', 'dave-password');
  });
  after(() => limited.close());

  test('after RATE_LIMIT_SIGN_IN failures for an account: 429 page, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      const { res } = await submit(limited, { username: 'carol', password: `wrong-${i}` });
      assert.equal(res.statusCode, 401, `attempt ${i}`);
    }
    const { res, jar } = await submit(limited, { username: 'carol', password: 'carol-password' });
    assert.equal(res.statusCode, 429);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.equal(sessionCookie(res), undefined);
    assert.ok(!(await signedIn(jar, limited)));
    // another account from the same address is not locked by carol's failures
    const other = await submit(limited, { username: 'dave', password: 'dave-password' });
    assert.equal(other.res.statusCode, 303);
    // the window passes
    limited.clock.advance(15 * 60 + 1);
    const later = await submit(limited, { username: 'carol', password: 'carol-password' });
    assert.equal(later.res.statusCode, 303);
  });

  test('the account is throttled whichever name it is tried under (user name or e-mail)', async () => {
    const fresh = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_SIGN_IN: '3' });
    try {
      await makeUser(fresh.deps, 'erin', 'erin-password');
      for (const login of ['erin', 'erin@example.com', 'ERIN']) {
        assert.equal((await submit(fresh, { username: login, password: 'wrong' })).res.statusCode, 401);
      }
      const { res } = await submit(fresh, { username: 'erin@example.com', password: 'erin-password' });
      assert.equal(res.statusCode, 429);
    } finally {
      await fresh.close();
    }
  });

  test('failures from many addresses do not lock the owner out; the account ceiling is 10× the limit', async () => {
    const fresh = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_SIGN_IN: '2' });
    try {
      await makeUser(fresh.deps, 'heidi', 'heidi-password');
      const from = async (address: string, password: string) => {
        const form = await fresh.app.inject({ url: '/auth/sign_in', remoteAddress: address });
        return fresh.app.inject({
          method: 'POST',
          url: '/auth/sign_in',
          remoteAddress: address,
          headers: { cookie: cookieHeader(cookiesOf(form)) },
          payload: { username: 'heidi', password, _csrf: csrfOf(form.body) },
        });
      };
      // the limit per (account, address): the third try from 10.0.0.1 is refused
      for (let i = 0; i < 2; i++) assert.equal((await from('10.0.0.1', 'wrong')).statusCode, 401);
      assert.equal((await from('10.0.0.1', 'heidi-password')).statusCode, 429);
      // failures from other addresses leave the owner's own address alone
      for (let i = 2; i <= 10; i++) assert.equal((await from(`10.0.0.${i}`, 'wrong')).statusCode, 401, `address ${i}`);
      assert.equal(
        (await from('10.0.1.1', 'heidi-password')).statusCode,
        303,
        'the owner signs in from an eleventh address',
      );
      // past 10× the limit across all addresses the account itself is throttled
      for (let i = 11; i < 20; i++) assert.equal((await from(`10.0.0.${i}`, 'wrong')).statusCode, 401, `address ${i}`);
      assert.equal((await from('10.0.2.1', 'heidi-password')).statusCode, 429);
    } finally {
      await fresh.close();
    }
  });

  test('an address is throttled after 5× the limit across accounts', async () => {
    const fresh = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_SIGN_IN: '2' });
    try {
      await makeUser(fresh.deps, 'frank', 'frank-password');
      for (let i = 0; i < 10; i++) {
        assert.equal(
          (await submit(fresh, { username: `ghost${i}`, password: 'x' })).res.statusCode,
          401,
          `attempt ${i}`,
        );
      }
      const { res } = await submit(fresh, { username: 'frank', password: 'frank-password' });
      assert.equal(res.statusCode, 429);
    } finally {
      await fresh.close();
    }
  });
});
