// GET and POST /oauth/authorize: the consent page and the user's answer (SPEC §3, §5).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  cookieHeader,
  cookiesOf,
  csrfOf,
  exchangeCode,
  makeUser,
  pkcePair,
  registerApp,
  signIn,
  testApp,
  type RegisteredApp,
  type TestContext,
} from './support/app.js';

const ISSUER = 'http://doorman.test';
const OOB = 'urn:ietf:wg:oauth:2.0:oob';

let ctx: TestContext;
let client: RegisteredApp;
let readOnly: RegisteredApp;
let jar: Record<string, string>;

before(async () => {
  ctx = await testApp();
  client = await registerApp(ctx.app, {
    client_name: 'Tusky <b>Test</b>',
    website: 'https://client.example/about',
    redirect_uris: [
      'https://client.example/cb',
      'https://client.example/q?x=1',
      OOB,
      'http://127.0.0.1:1234/cb',
      'myapp://cb',
    ],
    scopes: 'read write profile',
  });
  readOnly = await registerApp(ctx.app, { client_name: 'Reader', scopes: 'read' });
  await makeUser(ctx.deps, 'alice', 'alice-password');
  jar = await signIn(ctx.app, 'alice', 'alice-password');
});
after(() => ctx.close());

function query(params: Record<string, string | undefined>, app = client): string {
  const q = new URLSearchParams();
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: app.client_id,
    redirect_uri: app.redirect_uris[0],
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) q.set(k, v);
  return q.toString();
}

/** GET /oauth/authorize; `null` cookies: a browser that is not signed in. */
const get = (params: Record<string, string | undefined>, cookies: Record<string, string> | null = jar, app = client) =>
  ctx.app.inject({
    url: `/oauth/authorize?${query(params, app)}`,
    headers: cookies ? { cookie: cookieHeader(cookies) } : {},
  });

/** An app of its own, for tests that redeem codes (a live token means remembered consent for its app). */
const freshClient = () =>
  registerApp(ctx.app, {
    redirect_uris: ['https://client.example/cb', OOB, 'http://127.0.0.1:1234/cb'],
    scopes: 'read write profile',
  });

/** The hidden fields of the consent form, as the browser would post them. */
function hiddenFields(html: string): Record<string, string> {
  const form = /<form method="post" action="\/oauth\/authorize"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = m[2]!
      .replaceAll('&amp;', '&')
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&#39;', "'");
  }
  return fields;
}

/** Shows the consent page and presses a button on it. */
async function press(
  decision: 'authorize' | 'deny',
  params: Record<string, string | undefined> = {},
  app = client,
  cookies = jar,
) {
  const page = await get(params, cookies, app);
  assert.equal(page.statusCode, 200, page.body);
  const fields = hiddenFields(page.body);
  return ctx.app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { cookie: cookieHeader(cookiesOf(page, { ...cookies })) },
    payload: { ...fields, decision },
  });
}

const codeCount = async () =>
  (await ctx.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM authorization_codes'))[0]!.n;

function assertErrorPage(res: LightMyRequestResponse, status = 400) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers.location, undefined, 'never a redirect');
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.body, /<html/);
}

function redirectParams(res: LightMyRequestResponse, base: string): URLSearchParams {
  assert.equal(res.statusCode, 302, res.body);
  const location = String(res.headers.location);
  assert.ok(location.startsWith(`${base}?`), `${location} should start with ${base}?`);
  return new URL(location).searchParams;
}

describe('GET /oauth/authorize: client and redirect URI first, never a redirect', () => {
  test('unknown or missing client → 400 page', async () => {
    for (const cookies of [jar, null]) {
      assertErrorPage(
        await ctx.app.inject({
          url: `/oauth/authorize?response_type=code&client_id=nope&redirect_uri=${encodeURIComponent('https://client.example/cb')}`,
          headers: cookies ? { cookie: cookieHeader(cookies) } : {},
        }),
      );
      assertErrorPage(
        await ctx.app.inject({
          url: `/oauth/authorize?response_type=code&redirect_uri=${encodeURIComponent('https://client.example/cb')}`,
        }),
      );
    }
  });

  test('missing or unregistered redirect URI → 400 page, signed in or not', async () => {
    for (const cookies of [jar, null]) {
      for (const uri of [
        undefined,
        '',
        'https://evil.example/cb',
        'https://client.example/cb/',
        'https://client.example/cb?x=1',
        'https://client.example/q',
        'http://127.0.0.1:1234/other',
        'myapp://cb/x',
      ]) {
        assertErrorPage(await get({ redirect_uri: uri }, cookies));
      }
    }
  });

  test('a bad redirect URI wins over every other bad parameter', async () => {
    assertErrorPage(
      await get({ redirect_uri: 'https://evil.example/cb', response_type: 'token', scope: 'hoge', state: 's' }),
    );
  });

  test('a repeated client_id or redirect_uri → 400 page, not a redirect', async () => {
    const res = await ctx.app.inject({
      url: `/oauth/authorize?${query({})}&client_id=${client.client_id}`,
      headers: { cookie: cookieHeader(jar) },
    });
    assertErrorPage(res);
    const uri = await ctx.app.inject({
      url: `/oauth/authorize?${query({})}&redirect_uri=${encodeURIComponent(client.redirect_uris[0]!)}`,
      headers: { cookie: cookieHeader(jar) },
    });
    assertErrorPage(uri);
  });
});

describe('GET /oauth/authorize: other problems go back to the client', () => {
  test('response_type other than code → unsupported_response_type with state and iss', async () => {
    for (const rt of ['token', 'code token', 'id_token']) {
      const p = redirectParams(await get({ response_type: rt, state: 'xyz' }), 'https://client.example/cb');
      assert.equal(p.get('error'), 'unsupported_response_type');
      assert.equal(p.get('state'), 'xyz');
      assert.equal(p.get('iss'), ISSUER);
      assert.ok(p.get('error_description'));
      assert.equal(p.get('code'), null);
    }
  });

  test('a repeated or oversized parameter other than client and redirect URI → invalid_request, back to the client', async () => {
    for (const extra of [
      '&scope=read&scope=write',
      '&response_type=code',
      `&code_challenge=${'a'.repeat(5000)}`,
      '&scope=read%00',
    ]) {
      const res = await ctx.app.inject({
        url: `/oauth/authorize?${query({ state: 'rep' })}${extra}`,
        headers: { cookie: cookieHeader(jar) },
      });
      const p = redirectParams(res, 'https://client.example/cb');
      assert.equal(p.get('error'), 'invalid_request', extra.slice(0, 40));
      assert.equal(p.get('state'), 'rep');
      assert.equal(p.get('iss'), ISSUER);
    }
    // a repeated state cannot be echoed
    const twice = await ctx.app.inject({
      url: `/oauth/authorize?${query({ state: 'a' })}&state=b`,
      headers: { cookie: cookieHeader(jar) },
    });
    const p = redirectParams(twice, 'https://client.example/cb');
    assert.equal(p.get('error'), 'invalid_request');
    assert.equal(p.has('state'), false);
    // a NUL in the client id is still the page (never a query with it, never a 500)
    const nul = `/oauth/authorize?${query({})}&scope=a&scope=b`.replace(
      `client_id=${client.client_id}`,
      `client_id=${client.client_id}%00`,
    );
    assertErrorPage(await ctx.app.inject({ url: nul }));
  });

  test('missing response_type → invalid_request', async () => {
    const p = redirectParams(await get({ response_type: undefined }), 'https://client.example/cb');
    assert.equal(p.get('error'), 'invalid_request');
  });

  test('unknown scope → invalid_scope', async () => {
    for (const scope of ['hoge', 'read hoge', 'admin', 'read\twrite']) {
      const p = redirectParams(await get({ scope, state: 's1' }), 'https://client.example/cb');
      assert.equal(p.get('error'), 'invalid_scope', scope);
      assert.equal(p.get('state'), 's1');
    }
  });

  test('scope escalation: a scope the app was not registered with → invalid_scope', async () => {
    const p = redirectParams(await get({ scope: 'write' }, jar, readOnly), 'https://client.example/cb');
    assert.equal(p.get('error'), 'invalid_scope');
    const q = redirectParams(await get({ scope: 'read follow' }), 'https://client.example/cb');
    assert.equal(q.get('error'), 'invalid_scope');
    const r = redirectParams(await get({ scope: 'admin:read' }), 'https://client.example/cb');
    assert.equal(r.get('error'), 'invalid_scope');
  });

  test('a granular scope under a registered parent is allowed (read:statuses under read)', async () => {
    const res = await get({ scope: 'read:statuses' }, jar, readOnly);
    assert.equal(res.statusCode, 200, String(res.headers.location));
    assert.match(res.body, /read:statuses/);
  });

  test('omitted scope means read; an app without read → invalid_scope', async () => {
    const page = await get({ scope: undefined });
    assert.equal(page.statusCode, 200);
    assert.equal(hiddenFields(page.body).scope, undefined);
    assert.match(page.body, /<code>read<\/code>/);
    const writer = await registerApp(ctx.app, { client_name: 'Writer', scopes: 'write' });
    const p = redirectParams(await get({ scope: undefined }, jar, writer), 'https://client.example/cb');
    assert.equal(p.get('error'), 'invalid_scope');
  });

  test('PKCE: a challenge without S256 (missing or plain), or a bad challenge → invalid_request', async () => {
    const { challenge } = pkcePair();
    for (const params of [
      { code_challenge: challenge },
      { code_challenge: challenge, code_challenge_method: 'plain' },
      { code_challenge: challenge, code_challenge_method: 's256' },
      { code_challenge_method: 'S256' },
      { code_challenge: 'too-short', code_challenge_method: 'S256' },
      { code_challenge: `${challenge}=`, code_challenge_method: 'S256' },
    ]) {
      const p = redirectParams(await get({ ...params, state: 'pk' }), 'https://client.example/cb');
      assert.equal(p.get('error'), 'invalid_request', JSON.stringify(params));
      assert.equal(p.get('state'), 'pk');
    }
    const ok = await get({ code_challenge: challenge, code_challenge_method: 'S256' });
    assert.equal(ok.statusCode, 200);
  });

  test('state is echoed only when sent', async () => {
    const p = redirectParams(await get({ response_type: 'token' }), 'https://client.example/cb');
    assert.equal(p.has('state'), false);
    const empty = redirectParams(await get({ response_type: 'token', state: '' }), 'https://client.example/cb');
    assert.equal(empty.get('state'), '');
    const odd = redirectParams(await get({ response_type: 'token', state: 'a b&c=d/é' }), 'https://client.example/cb');
    assert.equal(odd.get('state'), 'a b&c=d/é');
  });

  test('errors keep the query the redirect URI already has', async () => {
    const p = redirectParams(
      await get({ redirect_uri: 'https://client.example/q?x=1', response_type: 'token' }),
      'https://client.example/q',
    );
    assert.equal(p.get('x'), '1');
    assert.equal(p.get('error'), 'unsupported_response_type');
  });

  test('OOB clients get a page for their errors, since there is nowhere to send them', async () => {
    assertErrorPage(await get({ redirect_uri: OOB, response_type: 'token' }));
  });
});

describe('GET /oauth/authorize: sign-in first', () => {
  test('not signed in → sign-in page, which returns here afterwards', async () => {
    const params = { scope: 'read write', state: 'st8' };
    const res = await get(params, null);
    assert.equal(res.statusCode, 302);
    const location = new URL(String(res.headers.location), ISSUER);
    assert.equal(location.pathname, '/auth/sign_in');
    const returnTo = location.searchParams.get('return_to')!;
    assert.ok(returnTo.startsWith('/oauth/authorize?'));

    const form = await ctx.app.inject({ url: `${location.pathname}${location.search}` });
    assert.equal(form.statusCode, 200);
    const browser = cookiesOf(form);
    const hidden = /name="return_to" value="([^"]*)"/.exec(form.body)![1]!.replaceAll('&amp;', '&');
    const signedIn = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_in',
      headers: { cookie: cookieHeader(browser) },
      payload: { username: 'alice', password: 'alice-password', return_to: hidden, _csrf: csrfOf(form.body) },
    });
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, returnTo);
    cookiesOf(signedIn, browser);

    const back = await ctx.app.inject({ url: returnTo, headers: { cookie: cookieHeader(browser) } });
    assert.equal(back.statusCode, 200, back.body);
    const fields = hiddenFields(back.body);
    assert.equal(fields.state, 'st8');
    assert.equal(fields.scope, 'read write');
    assert.equal(fields.client_id, client.client_id);
  });

  test('force_login=true shows the sign-in form and keeps the current sign-in until a new one succeeds', async () => {
    const own = await signIn(ctx.app, 'alice', 'alice-password');
    assert.equal((await get({}, own)).statusCode, 200);
    const res = await get({ force_login: 'true', state: 'f' }, own);
    assert.equal(res.statusCode, 302);
    const location = new URL(String(res.headers.location), ISSUER);
    assert.equal(location.pathname, '/auth/sign_in');
    assert.ok(!location.searchParams.get('return_to')!.includes('force_login'), 'coming back must not ask again');
    assert.ok(!res.cookies.some((c) => c.name.endsWith('doorman_session')), 'the cookie is left alone');
    // a link (top-level navigation carries Lax cookies) must not sign anyone out
    const still = await get({}, own);
    assert.equal(still.statusCode, 200, 'the old session lives on');
    // the new sign-in ends it
    const form = await ctx.app.inject({
      url: location.pathname + location.search,
      headers: { cookie: cookieHeader(own) },
    });
    const jar = cookiesOf(form, { ...own });
    const signed = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_in',
      headers: { cookie: cookieHeader(jar) },
      payload: {
        username: 'alice',
        password: 'alice-password',
        return_to: location.searchParams.get('return_to')!,
        _csrf: csrfOf(form.body),
      },
    });
    assert.equal(signed.statusCode, 303);
    cookiesOf(signed, jar);
    assert.notEqual(jar.doorman_session, own.doorman_session);
    const after = await get({}, own);
    assert.equal(after.statusCode, 302, 'the old session is gone on the server');
    assert.match(String(after.headers.location), /^\/auth\/sign_in/);
  });
});

describe('the consent page', () => {
  test('names the app and its website, lists each scope in words, offers Authorize, Deny and sign-out', async () => {
    const res = await get({ scope: 'read write:media profile', state: 'abc' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /Tusky &lt;b&gt;Test&lt;\/b&gt;/, 'the name, escaped');
    assert.doesNotMatch(res.body, /<b>Test<\/b>/);
    assert.match(res.body, /href="https:\/\/client\.example\/about"/);
    for (const scope of ['read', 'write:media', 'profile']) {
      assert.ok(res.body.includes(ctx.deps.scopes.describe(scope)), `${scope} in words`);
    }
    assert.match(res.body, /<button[^>]*name="decision"[^>]*value="authorize"[^>]*>Authorize<\/button>/);
    assert.match(res.body, /<button[^>]*name="decision"[^>]*value="deny"[^>]*>Deny<\/button>/);
    assert.ok(hiddenFields(res.body)._csrf);
    assert.match(res.body, /<form method="post" action="\/auth\/sign_out"[\s\S]*?Sign out/);
    assert.match(res.body, /@alice/);
    assert.doesNotMatch(res.body, /<script/i);
  });

  test('headers: no framing, no Referer, no caching, and no CSP form-action', async () => {
    const res = await get({});
    assert.equal(res.headers['x-frame-options'], 'DENY');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /form-action/, 'form-action would block the redirect to myapp://');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.match(String(res.headers['cache-control']), /no-store/);
    assert.equal(res.headers['access-control-allow-origin'], undefined, 'pages do not answer CORS');
  });

  test('a loopback redirect URI with another port is accepted', async () => {
    const own = await freshClient();
    const p = redirectParams(
      await press('authorize', { redirect_uri: 'http://127.0.0.1:5555/cb', state: 'lb' }, own),
      'http://127.0.0.1:5555/cb',
    );
    assert.ok(p.get('code'));
    assert.equal(p.get('state'), 'lb');
    const token = await exchangeCode(ctx.app, own, p.get('code')!, { redirect_uri: 'http://127.0.0.1:5555/cb' });
    assert.equal(token.statusCode, 200, token.body);
  });
});

describe('POST /oauth/authorize', () => {
  test('Authorize → 302 with code, state and iss; no-store', async () => {
    const res = await press('authorize', { state: 'state-1', scope: 'read write' });
    const p = redirectParams(res, 'https://client.example/cb');
    assert.match(p.get('code')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(p.get('state'), 'state-1');
    assert.equal(p.get('iss'), ISSUER);
    assert.match(String(res.headers['cache-control']), /no-store/);
  });

  test('without state, the redirect carries none', async () => {
    const p = redirectParams(await press('authorize', {}), 'https://client.example/cb');
    assert.ok(p.get('code'));
    assert.equal(p.has('state'), false);
  });

  test('the redirect URI keeps its own query', async () => {
    const p = redirectParams(
      await press('authorize', { redirect_uri: 'https://client.example/q?x=1' }),
      'https://client.example/q',
    );
    assert.equal(p.get('x'), '1');
    assert.ok(p.get('code'));
  });

  test('a custom scheme redirect URI', async () => {
    const res = await press('authorize', { redirect_uri: 'myapp://cb', state: 'm' });
    assert.equal(res.statusCode, 302);
    assert.match(String(res.headers.location), /^myapp:\/\/cb\?code=[A-Za-z0-9_-]{43}&state=m&iss=/);
  });

  test('OOB → 200 page with the code in id="authorization_code", no-store; the code works', async () => {
    const own = await freshClient();
    const res = await press('authorize', { redirect_uri: OOB }, own);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.location, undefined);
    assert.match(String(res.headers['cache-control']), /no-store/);
    const code = /id="authorization_code"[^>]*>([A-Za-z0-9_-]{43})</.exec(res.body)?.[1];
    assert.ok(code, 'the code is on the page');
    const token = await exchangeCode(ctx.app, own, code, { redirect_uri: OOB });
    assert.equal(token.statusCode, 200, token.body);
  });

  test('Deny → 302 with error=access_denied and state; no code', async () => {
    const before = await codeCount();
    const p = redirectParams(await press('deny', { state: 'no-thanks' }), 'https://client.example/cb');
    assert.equal(p.get('error'), 'access_denied');
    assert.equal(p.get('state'), 'no-thanks');
    assert.equal(p.get('iss'), ISSUER);
    assert.equal(p.get('code'), null);
    assert.equal(await codeCount(), before);
  });

  test('OOB Deny → a page saying access was denied', async () => {
    const before = await codeCount();
    const res = await press('deny', { redirect_uri: OOB });
    assert.equal(res.headers.location, undefined);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /denied|did not allow/i);
    assert.equal(await codeCount(), before);
  });

  test('missing or wrong CSRF token → 403, no code', async () => {
    const page = await get({ state: 'c' });
    const fields = hiddenFields(page.body);
    const browser = cookiesOf(page, { ...jar });
    const before = await codeCount();
    const { _csrf, ...withoutCsrf } = fields;
    assert.ok(_csrf);
    // a token from another browser's form does not match this browser's CSRF cookie
    const other = await get({}, await signIn(ctx.app, 'alice', 'alice-password'));
    for (const payload of [
      withoutCsrf,
      { ...withoutCsrf, _csrf: 'forged' },
      { ...withoutCsrf, _csrf: '' },
      { ...withoutCsrf, _csrf: hiddenFields(other.body)._csrf! },
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/oauth/authorize',
        headers: { cookie: cookieHeader(browser) },
        payload: { ...payload, decision: 'authorize' },
      });
      assert.equal(res.statusCode, 403, JSON.stringify(payload));
      assert.equal(res.headers.location, undefined);
      assert.match(String(res.headers['content-type']), /^text\/html/);
    }
    // without the CSRF cookie at all
    const noCookie = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { cookie: `doorman_session=${jar.doorman_session}` },
      payload: { ...fields, decision: 'authorize' },
    });
    assert.equal(noCookie.statusCode, 403);
    assert.equal(await codeCount(), before);
  });

  test('not signed in → 403, no code', async () => {
    const page = await get({});
    const fields = hiddenFields(page.body);
    const browser = cookiesOf(page, { ...jar });
    delete browser.doorman_session;
    const before = await codeCount();
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { cookie: cookieHeader(browser) },
      payload: { ...fields, decision: 'authorize' },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers.location, undefined);
    assert.equal(await codeCount(), before);
  });

  test('tampered form fields are checked again: redirect URI → page, scope → invalid_scope', async () => {
    const page = await get({ state: 't' }, jar, readOnly);
    const fields = hiddenFields(page.body);
    const browser = cookiesOf(page, { ...jar });
    const before = await codeCount();
    const evil = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { cookie: cookieHeader(browser) },
      payload: { ...fields, redirect_uri: 'https://evil.example/cb', decision: 'authorize' },
    });
    assertErrorPage(evil);
    const wider = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { cookie: cookieHeader(browser) },
      payload: { ...fields, scope: 'read write', decision: 'authorize' },
    });
    assert.equal(redirectParams(wider, 'https://client.example/cb').get('error'), 'invalid_scope');
    assert.equal(await codeCount(), before);
  });

  test('the code is bound to client, user, redirect URI, scopes and PKCE challenge', async () => {
    const { challenge } = pkcePair();
    const p = redirectParams(
      await press('authorize', {
        scope: 'read profile',
        redirect_uri: 'https://client.example/q?x=1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      'https://client.example/q',
    );
    const { hashSecret } = await import('../src/secrets.js');
    const [row] = await ctx.deps.db.query<Record<string, unknown>>(
      `SELECT c.redirect_uri, c.scopes, c.code_challenge, a.client_id, u.username, extract(epoch FROM c.expires_at - c.created_at)::int AS ttl
       FROM authorization_codes c JOIN applications a ON a.id = c.application_id JOIN users u ON u.id = c.user_id WHERE c.code_hash = $1`,
      [hashSecret(p.get('code')!)],
    );
    assert.deepEqual(row, {
      redirect_uri: 'https://client.example/q?x=1',
      scopes: ['read', 'profile'],
      code_challenge: challenge,
      client_id: client.client_id,
      username: 'alice',
      ttl: 600,
    });
  });
});

describe('the consent page, more', () => {
  test('parameters are escaped on the page and come back unchanged', async () => {
    const state = `"><script>alert(1)</script>'&x=<b>`;
    const page = await get({ state });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /<script>alert/);
    assert.doesNotMatch(page.body, /<b>/);
    const p = redirectParams(await press('deny', { state }), 'https://client.example/cb');
    assert.equal(p.get('state'), state);
  });

  test('Sign out on the consent page comes back to the same authorize request', async () => {
    const own = await signIn(ctx.app, 'alice', 'alice-password');
    const page = await get({ state: 'so' }, own);
    const returnTo = /name="return_to" value="([^"]*)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
    assert.ok(returnTo.startsWith('/oauth/authorize?'));
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_out',
      headers: { cookie: cookieHeader(cookiesOf(page, { ...own })) },
      payload: { _csrf: hiddenFields(page.body)._csrf!, return_to: returnTo },
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `/auth/sign_in?return_to=${encodeURIComponent(returnTo)}`);
    assert.equal((await get({}, own)).statusCode, 302, 'signed out');
  });

  test('force_login shows the consent page after sign-in, even when consent is remembered', async () => {
    const own = await freshClient();
    const browser = await signIn(ctx.app, 'alice', 'alice-password');
    const code = await press('authorize', {}, own, browser);
    const token = await exchangeCode(ctx.app, own, new URL(String(code.headers.location)).searchParams.get('code')!);
    assert.equal(token.statusCode, 200);
    assert.equal((await get({}, browser, own)).statusCode, 302, 'remembered while the token lives');

    const forced = await get({ force_login: 'true' }, browser, own);
    const returnTo = new URL(String(forced.headers.location), ISSUER).searchParams.get('return_to')!;
    const again = await signIn(ctx.app, 'alice', 'alice-password');
    const back = await ctx.app.inject({ url: returnTo, headers: { cookie: cookieHeader(again) } });
    assert.equal(back.statusCode, 200, 'the person sees what they authorize');
    assert.match(back.body, />Authorize</);
  });

  test('lang is accepted', async () => {
    assert.equal((await get({ lang: 'fr' })).statusCode, 200);
  });
});
