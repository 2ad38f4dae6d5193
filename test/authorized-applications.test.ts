// GET/POST /oauth/authorized_applications: the user's apps, each with a Revoke button (SPEC §5).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  authorize,
  cookieHeader,
  cookiesOf,
  csrfOf,
  exchangeCode,
  makeUser,
  registerApp,
  signIn,
  testApp,
  type TestContext,
} from './support/app.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

const PATH = '/oauth/authorized_applications';
const verify = (t: string) =>
  ctx.app.inject({ url: '/api/v1/accounts/verify_credentials', headers: { authorization: `Bearer ${t}` } });

test('lists the authorized app; Revoke ends that user’s tokens for it, and consent is asked again', async () => {
  const client = await registerApp(ctx.app, { client_name: 'Phanpy', website: 'https://phanpy.example' });
  const other = await registerApp(ctx.app, { client_name: 'Ivory' });
  await makeUser(ctx.deps, 'alice', 'alice-password');
  await makeUser(ctx.deps, 'bob', 'bob-password');
  const alice = await signIn(ctx.app, 'alice', 'alice-password');
  const bob = await signIn(ctx.app, 'bob', 'bob-password');

  const grant = async (app = client, jar = alice) => {
    const res = await exchangeCode(ctx.app, app, await authorize(ctx.app, app, jar, { scope: 'read write' }));
    assert.equal(res.statusCode, 200, res.body);
    return res.json().access_token as string;
  };
  const aliceTokens = [await grant(), await grant()];
  const aliceOther = await grant(other);
  const bobToken = await grant(client, bob);

  const page = await ctx.app.inject({ url: PATH, headers: { cookie: cookieHeader(alice) } });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Phanpy/);
  assert.match(page.body, /Ivory/);
  assert.match(page.body, /https:\/\/phanpy\.example/);
  assert.match(page.body, /<button type="submit">Revoke<\/button>/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);

  // remembered consent while a token lives: authorize answers at once
  const query = `response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0]!)}&scope=read`;
  assert.equal(
    (await ctx.app.inject({ url: `/oauth/authorize?${query}`, headers: { cookie: cookieHeader(alice) } })).statusCode,
    302,
  );

  // without the CSRF token nothing happens
  const jar = cookiesOf(page, { ...alice });
  const forged = await ctx.app.inject({
    method: 'POST',
    url: PATH,
    headers: { cookie: cookieHeader(jar) },
    payload: { client_id: client.client_id },
  });
  assert.equal(forged.statusCode, 403);
  assert.equal((await verify(aliceTokens[0]!)).statusCode, 200);

  const revoked = await ctx.app.inject({
    method: 'POST',
    url: PATH,
    headers: { cookie: cookieHeader(jar) },
    payload: { client_id: client.client_id, _csrf: csrfOf(page.body) },
  });
  assert.equal(revoked.statusCode, 303);
  assert.equal(revoked.headers.location, PATH);
  for (const t of aliceTokens) assert.equal((await verify(t)).statusCode, 401, 'every token of alice for that app');
  assert.equal((await verify(aliceOther)).statusCode, 200, 'other apps are untouched');
  assert.equal((await verify(bobToken)).statusCode, 200, 'other users are untouched');

  const after = await ctx.app.inject({ url: PATH, headers: { cookie: cookieHeader(alice) } });
  assert.doesNotMatch(after.body, /Phanpy/);
  assert.match(after.body, /Ivory/);

  const again = await ctx.app.inject({ url: `/oauth/authorize?${query}`, headers: { cookie: cookieHeader(alice) } });
  assert.equal(again.statusCode, 200, 'the consent page is shown again');
  assert.match(again.body, />Authorize</);
});

test("Revoke also ends that user's unredeemed codes for the app", async () => {
  const client = await registerApp(ctx.app, { client_name: 'Elk' });
  await makeUser(ctx.deps, 'carol', 'carol-password');
  await makeUser(ctx.deps, 'dave', 'dave-password');
  const carol = await signIn(ctx.app, 'carol', 'carol-password');
  const dave = await signIn(ctx.app, 'dave', 'dave-password');
  const granted = await exchangeCode(ctx.app, client, await authorize(ctx.app, client, carol, { scope: 'read' }));
  assert.equal(granted.statusCode, 200);
  const pending = await authorize(ctx.app, client, carol, { scope: 'read' });
  const davesCode = await authorize(ctx.app, client, dave, { scope: 'read' });

  const page = await ctx.app.inject({ url: PATH, headers: { cookie: cookieHeader(carol) } });
  const revoked = await ctx.app.inject({
    method: 'POST',
    url: PATH,
    headers: { cookie: cookieHeader(cookiesOf(page, carol)) },
    payload: { client_id: client.client_id, _csrf: csrfOf(page.body) },
  });
  assert.equal(revoked.statusCode, 303);
  const late = await exchangeCode(ctx.app, client, pending);
  assert.equal(late.statusCode, 400, late.body);
  assert.equal(late.json().error, 'invalid_grant');
  assert.equal((await verify(granted.json().access_token)).statusCode, 401);
  // another user's code for the same app is untouched
  assert.equal((await exchangeCode(ctx.app, client, davesCode)).statusCode, 200);
});

test('not signed in → sign-in, coming back here', async () => {
  const res = await ctx.app.inject({ url: PATH });
  assert.equal(res.statusCode, 302);
  assert.equal(res.headers.location, `/auth/sign_in?return_to=${encodeURIComponent(PATH)}`);
});
