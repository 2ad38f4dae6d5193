// Remembered consent (SPEC §3 GET /oauth/authorize): a user who already granted an app the same or
// wider scopes, and still holds a live token for it, is answered at once — never with force_login,
// and no more once the grant is revoked. /oauth/authorized_applications lists the grants.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  authorize,
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

const PASSWORD = 'correct horse battery staple';

let ctx: TestContext;
let jar: Record<string, string>;

before(async () => {
  ctx = await testApp();
  await makeUser(ctx.deps, 'alice', PASSWORD);
  await makeUser(ctx.deps, 'bob', PASSWORD);
  jar = await signIn(ctx.app, 'alice', PASSWORD);
});
after(() => ctx.close());

function authorizeUrl(client: RegisteredApp, extra: Record<string, string> = {}): string {
  return `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: client.redirect_uris[0]!, ...extra })}`;
}

function get(url: string, cookies: Record<string, string>) {
  return ctx.app.inject({ url, headers: { cookie: cookieHeader(cookies) } });
}

/** Authorize through the consent page and redeem the code: the user now holds a live token. */
async function grant(client: RegisteredApp, scope: string, cookies = jar) {
  const res = await exchangeCode(ctx.app, client, await authorize(ctx.app, client, cookies, { scope }));
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { access_token: string };
}

function assertConsentPage(res: Awaited<ReturnType<typeof get>>, message: string) {
  assert.equal(res.statusCode, 200, `${message}: ${res.statusCode} ${res.headers.location ?? ''}`);
  assert.match(res.body, />Authorize</, message);
  assert.match(res.body, />Deny</, message);
}

function assertAnsweredAtOnce(res: Awaited<ReturnType<typeof get>>, client: RegisteredApp): URL {
  assert.equal(res.statusCode, 302, res.body);
  const location = new URL(res.headers.location as string);
  assert.equal(`${location.origin}${location.pathname}`, client.redirect_uris[0]);
  assert.ok(location.searchParams.get('code'));
  assert.equal(location.searchParams.get('iss'), ctx.deps.config.issuer);
  assert.equal(res.headers['cache-control'], 'no-store');
  return location;
}

test('the same or narrower scopes are answered at once with a working code', async () => {
  const client = await registerApp(ctx.app);
  await grant(client, 'read write');
  for (const scope of ['read write', 'write read', 'read', 'read:accounts write:statuses']) {
    const location = assertAnsweredAtOnce(await get(authorizeUrl(client, { scope, state: 's1' }), jar), client);
    assert.equal(location.searchParams.get('state'), 's1');
    const token = await exchangeCode(ctx.app, client, location.searchParams.get('code')!);
    assert.equal(token.statusCode, 200, token.body);
    assert.equal(token.json().scope, scope, 'the token carries the scopes asked for now, not the earlier grant');
  }
});

test('the remembered answer keeps the PKCE challenge of the new request', async () => {
  const client = await registerApp(ctx.app);
  await grant(client, 'read');
  const { verifier, challenge } = pkcePair();
  const res = await get(
    authorizeUrl(client, { scope: 'read', code_challenge: challenge, code_challenge_method: 'S256' }),
    jar,
  );
  const code = assertAnsweredAtOnce(res, client).searchParams.get('code')!;
  const wrong = await exchangeCode(ctx.app, client, code, { code_verifier: pkcePair().verifier });
  assert.equal(wrong.statusCode, 400);
  const right = await exchangeCode(ctx.app, client, code, { code_verifier: verifier });
  assert.equal(right.statusCode, 200, right.body);
});

test('wider scopes show the consent page', async () => {
  const client = await registerApp(ctx.app);
  await grant(client, 'read');
  assertConsentPage(await get(authorizeUrl(client, { scope: 'read write' }), jar), 'read write after read');
  assertConsentPage(await get(authorizeUrl(client, { scope: 'profile' }), jar), 'profile is not under read');
  assertConsentPage(await get(authorizeUrl(client, { scope: 'follow' }), jar), 'follow after read');
});

test('a code that was never redeemed is no remembered consent', async () => {
  const client = await registerApp(ctx.app);
  await authorize(ctx.app, client, jar, { scope: 'read' });
  assertConsentPage(await get(authorizeUrl(client, { scope: 'read' }), jar), 'no live token yet');
});

test("another user's grant, or another app's, does not count", async () => {
  const client = await registerApp(ctx.app);
  await grant(client, 'read');
  const bob = await signIn(ctx.app, 'bob', PASSWORD);
  assertConsentPage(await get(authorizeUrl(client, { scope: 'read' }), bob), 'bob never granted');
  const other = await registerApp(ctx.app);
  assertConsentPage(await get(authorizeUrl(other, { scope: 'read' }), jar), 'another app');
});

test('a token revoked by the client ends the remembered consent', async () => {
  const client = await registerApp(ctx.app);
  const token = await grant(client, 'read');
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: { token: token.access_token, client_id: client.client_id, client_secret: client.client_secret },
  });
  assert.equal(res.statusCode, 200);
  assertConsentPage(await get(authorizeUrl(client, { scope: 'read' }), jar), 'after the client revoked');
});

test('prompt=consent (OpenID Connect) asks again even when consent is remembered', async () => {
  const client = await registerApp(ctx.app);
  await grant(client, 'read');
  assertConsentPage(await get(authorizeUrl(client, { scope: 'read', prompt: 'consent' }), jar), 'prompt=consent');
  assertAnsweredAtOnce(await get(authorizeUrl(client, { scope: 'read' }), jar), client);
});

test('force_login=true never skips consent: sign-in first, then the consent page', async () => {
  const own = await signIn(ctx.app, 'alice', PASSWORD);
  const client = await registerApp(ctx.app);
  await grant(client, 'read', own);
  assertAnsweredAtOnce(await get(authorizeUrl(client, { scope: 'read' }), own), client);

  const forced = await get(authorizeUrl(client, { scope: 'read', force_login: 'true', state: 'f1' }), own);
  assert.equal(forced.statusCode, 302);
  const signInUrl = forced.headers.location as string;
  assert.match(signInUrl, /^\/auth\/sign_in\?return_to=/);
  cookiesOf(forced, own);
  // the old sign-in lives on until the new one succeeds (a link must not sign anyone out)
  assertAnsweredAtOnce(await get(authorizeUrl(client, { scope: 'read' }), own), client);

  // sign in again through the form, then follow the way back
  const form = await get(signInUrl, own);
  assert.equal(form.statusCode, 200);
  cookiesOf(form, own);
  const signedIn = await ctx.app.inject({
    method: 'POST',
    url: '/auth/sign_in',
    headers: { cookie: cookieHeader(own) },
    payload: {
      username: 'alice',
      password: PASSWORD,
      return_to: new URL(signInUrl, 'http://x').searchParams.get('return_to')!,
      _csrf: csrfOf(form.body),
    },
  });
  assert.equal(signedIn.statusCode, 303);
  cookiesOf(signedIn, own);
  const back = signedIn.headers.location as string;
  assert.match(back, /^\/oauth\/authorize\?/);
  const page = await get(back, own);
  assertConsentPage(page, 'after force_login the user is asked again');
  assert.doesNotMatch(page.body, /name="force_login"/);

  // pressing Authorize answers with the state of the original request
  cookiesOf(page, own);
  const fields = Object.fromEntries(
    [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]),
  );
  const answered = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { cookie: cookieHeader(own) },
    payload: { ...fields, decision: 'authorize' },
  });
  assert.equal(answered.statusCode, 302, answered.body);
  assert.equal(new URL(answered.headers.location as string).searchParams.get('state'), 'f1');
});

test('the authorized applications page lists the grants with their scopes', async () => {
  const bobJar = await signIn(ctx.app, 'bob', PASSWORD);
  const first = await registerApp(ctx.app, { client_name: 'Photo Frame', website: 'https://photos.example' });
  const second = await registerApp(ctx.app, { client_name: 'Reader Deluxe' });
  await grant(first, 'read:statuses', bobJar);
  await grant(first, 'write:media', bobJar);
  await grant(second, 'profile', bobJar);
  const page = await get('/oauth/authorized_applications', bobJar);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Photo Frame/);
  assert.match(page.body, /https:\/\/photos\.example/);
  assert.match(page.body, /Reader Deluxe/);
  const photoItem = page.body.slice(page.body.indexOf('Photo Frame'), page.body.indexOf('Reader Deluxe'));
  assert.match(photoItem, /read:statuses/);
  assert.match(photoItem, /write:media/);
  assert.match(page.body.slice(page.body.indexOf('Reader Deluxe')), /profile/);
  assert.equal((page.body.match(/>Revoke</g) ?? []).length, 2);
  // alice's grants are not bob's
  assert.doesNotMatch(page.body, /Test app/);
});

test('revoking on the authorized applications page asks for consent again', async () => {
  const client = await registerApp(ctx.app, { client_name: 'Revocable' });
  const token = await grant(client, 'read');
  assertAnsweredAtOnce(await get(authorizeUrl(client, { scope: 'read' }), jar), client);

  const page = await get('/oauth/authorized_applications', jar);
  assert.match(page.body, /Revocable/);
  const cookies = cookiesOf(page, { ...jar });
  const revoked = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/authorized_applications',
    headers: { cookie: cookieHeader(cookies) },
    payload: { client_id: client.client_id, _csrf: csrfOf(page.body) },
  });
  assert.equal(revoked.statusCode, 303);
  const me = await ctx.app.inject({
    url: '/api/v1/accounts/verify_credentials',
    headers: { authorization: `Bearer ${token.access_token}` },
  });
  assert.equal(me.statusCode, 401);
  assertConsentPage(await get(authorizeUrl(client, { scope: 'read' }), jar), 'after revoking on the page');
  assert.doesNotMatch((await get('/oauth/authorized_applications', jar)).body, /Revocable/);
});
