// The pages speak to the person in front of them: the sign-in page names the app asking and this
// server, the code page lets the code be copied whole, and an error says what happened in plain words
// (the JSON answers keep the RFC's wording for programs).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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
let named: TestContext;
before(async () => {
  ctx = await testApp();
  named = await testApp({ INSTANCE_TITLE: 'Example Social' });
  await makeUser(ctx.deps, 'alice', 'alice-password');
});
after(async () => {
  await ctx.close();
  await named.close();
});

const RFC_JARGON = /Client authentication failed|unsupported authentication method/;

test('the sign-in page reached from /oauth/authorize names the app asking and the server', async () => {
  const client = await registerApp(ctx.app, { client_name: 'My <reader>', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob' });
  const start = await ctx.app.inject({
    url: `/oauth/authorize?response_type=code&client_id=${client.client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob`,
  });
  assert.equal(start.statusCode, 302);
  const page = await ctx.app.inject({ url: start.headers.location as string });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<strong>My &lt;reader&gt;<\/strong> asks to use your account on <strong>Doorman<\/strong>/);
  assert.match(page.body, /<title>Log in · Doorman<\/title>/);

  // reached directly: no app, still the server; the server's name is the setting's
  const plain = await named.app.inject({ url: '/auth/sign_in' });
  assert.match(plain.body, /Log in to <strong>Example Social<\/strong>/);
  assert.doesNotMatch(plain.body, /asks to use your account/);
  // an unknown client id in return_to names no app
  const unknown = await ctx.app.inject({
    url: `/auth/sign_in?return_to=${encodeURIComponent('/oauth/authorize?client_id=nope')}`,
  });
  assert.equal(unknown.statusCode, 200);
  assert.doesNotMatch(unknown.body, /asks to use your account/);
});

test('an unknown client gets a page in plain words; the JSON answer keeps the RFC wording', async () => {
  const page = await ctx.app.inject({
    url: '/oauth/authorize?response_type=code&client_id=nope&redirect_uri=urn:ietf:wg:oauth:2.0:oob',
  });
  assert.equal(page.statusCode, 400);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  assert.doesNotMatch(page.body, RFC_JARGON);
  assert.match(page.body, /The app that sent you here is not known to this server/);

  const json = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: 'nope', client_secret: 'x' },
  });
  assert.equal(json.statusCode, 401);
  assert.match((json.json() as { error_description: string }).error_description, RFC_JARGON);
});

test('the code page: a Copy button its own script shows, and a code that does not wrap', async () => {
  const client = await registerApp(ctx.app, { client_name: 'Reader', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob' });
  const jar = await signIn(ctx.app, 'alice', 'alice-password');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: 'urn:ietf:wg:oauth:2.0:oob',
  });
  const consent = await ctx.app.inject({ url: `/oauth/authorize?${query}`, headers: { cookie: cookieHeader(jar) } });
  const page = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { cookie: cookieHeader(cookiesOf(consent, jar)) },
    payload: { ...Object.fromEntries(query), decision: 'authorize', _csrf: csrfOf(consent.body) },
  });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<code id="authorization_code" class="code">[\w-]{20,}<\/code>/);
  // without the script the button stays hidden and the code is selected with one click
  assert.match(page.body, /<button type="button" id="copy_code"[^>]* hidden>Copy<\/button>/);
  assert.match(page.body, /<script src="\/copy.js"><\/script>/);
  assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
  const script = await ctx.app.inject({ url: '/copy.js' });
  assert.equal(script.statusCode, 200);
  assert.match(script.headers['content-type'] as string, /javascript/);
  assert.match(script.body, /navigator\.clipboard\.writeText/);
  const css = (await ctx.app.inject({ url: '/style.css' })).body;
  const codeRule = /\.code\{([^}]*)\}/.exec(css)?.[1] ?? '';
  assert.match(codeRule, /white-space:nowrap/);
  assert.match(codeRule, /user-select:all/);
  assert.doesNotMatch(codeRule, /break-all/);
});
