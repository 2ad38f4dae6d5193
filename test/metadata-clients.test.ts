// SPEC §8, client metadata documents, at the endpoints: a client_id that is an https URL is fetched,
// checked and used as a public client at authorize, token, refresh, revoke and consent; the copy is
// shared through the database for its Cache-Control lifetime; a document that cannot be used is an
// HTML page at authorize (never a redirect) and 401 invalid_client at the token endpoint. The fetch's
// own refusals (size, time, redirects, addresses, rebinding) are tested in client-metadata.test.ts.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import {
  authorize,
  cookieHeader,
  makeUser,
  pkcePair,
  signIn,
  testApp,
  testDeps,
  type TestContext,
} from './support/app.js';
import { testCertificates } from './support/test-ca.js';

const CALLBACK = 'http://127.0.0.1:8976/callback';

let ctx: TestContext;
let jar: Record<string, string>;
let site: https.Server;
let origin: string;
let ca: string;
/** What the client's site answers, by path; and how often each path was fetched. */
const documents = new Map<string, { status?: number; body: unknown; cacheControl?: string }>();
const fetched = new Map<string, number>();

before(async () => {
  const certificates = await testCertificates(['localhost'], ['127.0.0.1']);
  ca = certificates.ca;
  site = https.createServer({ cert: certificates.cert, key: certificates.key }, (req, res) => {
    const path = req.url ?? '/';
    fetched.set(path, (fetched.get(path) ?? 0) + 1);
    const answer = documents.get(path);
    if (!answer) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(answer.status ?? 200, {
      'content-type': 'application/json',
      ...(answer.cacheControl ? { 'cache-control': answer.cacheControl } : {}),
      ...(answer.status === 302 ? { location: 'https://elsewhere.example/doc' } : {}),
    });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(site.address() as AddressInfo).port}`;

  ctx = await testApp({ ACCESS_TOKEN_TTL: '3600', CLIENT_METADATA_ALLOW_PRIVATE: 'true' });
  ctx.deps.clientMetadataCa = ca;
  const { username, password } = await makeUser(ctx.deps, 'alice');
  jar = await signIn(ctx.app, username, password);
});
after(async () => {
  await ctx.close();
  site.closeAllConnections();
  await new Promise((resolve) => site.close(resolve));
});

/** Publishes a document at `path` on the client's site; returns its URL, the client id. */
function publish(path: string, fields: Record<string, unknown> = {}, cacheControl?: string): string {
  const clientId = `${origin}${path}`;
  documents.set(path, {
    body: { client_id: clientId, client_name: 'Claude', redirect_uris: [CALLBACK], ...fields },
    ...(cacheControl ? { cacheControl } : {}),
  });
  return clientId;
}

function authorizeRequest(clientId: string, extra: Record<string, string> = {}) {
  const { challenge } = pkcePair();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CALLBACK,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return ctx.app.inject({ method: 'GET', url: `/oauth/authorize?${query}`, headers: { cookie: cookieHeader(jar) } });
}

const client = (clientId: string) => ({
  id: '',
  client_id: clientId,
  client_secret: '',
  redirect_uris: [CALLBACK],
  scopes: [],
});

function token(payload: Record<string, string>) {
  return ctx.app.inject({ method: 'POST', url: '/oauth/token', payload });
}

/** The whole flow for a metadata-document client: code with PKCE, token with client_id alone. */
async function flow(clientId: string) {
  const { verifier, challenge } = pkcePair();
  const code = await authorize(ctx.app, client(clientId), jar, { challenge });
  return token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CALLBACK,
    client_id: clientId,
    code_verifier: verifier,
  });
}

test('the metadata says documents are supported', async () => {
  const res = await ctx.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
  assert.equal(res.json().client_id_metadata_document_supported, true);
});

test('a document client: consent shows the name beside its host; code, token, refresh and revoke with client_id alone', async () => {
  const clientId = publish('/claude.json');
  const page = await authorizeRequest(clientId);
  assert.equal(page.statusCode, 200, page.body);
  const host = new URL(origin).host;
  assert.match(page.body, new RegExp(`Authorize Claude \\(from ${host.replace(/\./g, '\\.')}\\)\\?`));

  const issued = await flow(clientId);
  assert.equal(issued.statusCode, 200, issued.body);
  const { access_token, refresh_token } = issued.json();
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token, client_id: clientId });
  assert.equal(refreshed.statusCode, 200, refreshed.body);

  const revoke = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: { client_id: clientId, token: refreshed.json().access_token },
  });
  assert.equal(revoke.statusCode, 200, revoke.body);
  const me = (value: string) =>
    ctx.app.inject({
      method: 'GET',
      url: '/api/v1/accounts/verify_credentials',
      headers: { authorization: `Bearer ${value}` },
    });
  assert.equal((await me(refreshed.json().access_token)).statusCode, 401);
  assert.equal((await me(access_token)).statusCode, 200, 'the refresh kept the first token until it expires');

  const listed = await ctx.app.inject({
    method: 'GET',
    url: '/oauth/authorized_applications',
    headers: { cookie: cookieHeader(jar) },
  });
  assert.match(listed.body, /Claude \(from /);
  const cc = await token({ grant_type: 'client_credentials', client_id: clientId });
  assert.equal(cc.json().error, 'unauthorized_client', 'a public client');
});

test('without PKCE: an error redirect, as for any public client', async () => {
  const clientId = publish('/no-pkce.json');
  const res = await ctx.app.inject({
    method: 'GET',
    url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK })}`,
    headers: { cookie: cookieHeader(jar) },
  });
  assert.equal(res.statusCode, 302);
  assert.equal(new URL(res.headers.location as string).searchParams.get('error'), 'invalid_request');
});

test('a document that cannot be used: a 400 page at authorize, never a redirect', async () => {
  const cases: Array<[string, { status?: number; body: unknown }, RegExp]> = [
    ['/other-id.json', { body: { client_id: `${origin}/elsewhere.json`, redirect_uris: [CALLBACK] } }, /client_id/],
    ['/no-redirects.json', { body: { client_id: `${origin}/no-redirects.json` } }, /redirect_uris/],
    [
      '/secret.json',
      {
        body: {
          client_id: `${origin}/secret.json`,
          redirect_uris: [CALLBACK],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      },
      /token_endpoint_auth_method/,
    ],
    ['/moved.json', { status: 302, body: {} }, /redirect|status/],
    [
      '/big.json',
      { body: { client_id: `${origin}/big.json`, redirect_uris: [CALLBACK], padding: 'x'.repeat(6000) } },
      /5 KiB|large|big/i,
    ],
  ];
  for (const [path, answer, why] of cases) {
    documents.set(path, answer);
    const res = await authorizeRequest(`${origin}${path}`);
    assert.equal(res.statusCode, 400, `${path}: ${res.statusCode}`);
    assert.match(String(res.headers['content-type']), /text\/html/, path);
    assert.equal(res.headers.location, undefined, path);
    assert.match(res.body, why, path);
  }
  const missing = await authorizeRequest(`${origin}/nothing-here.json`);
  assert.equal(missing.statusCode, 400);
});

test('the redirect URI must be one the document lists', async () => {
  const clientId = publish('/strict.json');
  const res = await authorizeRequest(clientId, { redirect_uri: 'http://127.0.0.1:9999/other' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.headers.location, undefined);
});

test('the copy is reused while fresh, by every process on the database; then fetched again', async () => {
  const clientId = publish('/cached.json', {}, 'max-age=600');
  assert.equal((await authorizeRequest(clientId)).statusCode, 200);
  assert.equal((await authorizeRequest(clientId)).statusCode, 200);
  const second = await buildApp({
    ...testDeps(ctx.deps.db, ctx.deps.config),
    clock: ctx.deps.clock,
    clientMetadataCa: ca,
  });
  try {
    const other = await second.inject({
      method: 'GET',
      url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`,
    });
    assert.equal(other.statusCode, 302, 'the other process knows the client (and sends the stranger to sign in)');
  } finally {
    await second.close();
  }
  assert.equal(fetched.get('/cached.json'), 1, 'fetched once for all of them');

  ctx.clock.advance(601);
  publish('/cached.json', { client_name: 'Claude Renamed' }, 'max-age=600');
  const page = await authorizeRequest(clientId);
  assert.match(page.body, /Claude Renamed/);
  assert.equal(fetched.get('/cached.json'), 2);
});

test('a stale copy stands in while the site is down, up to a day; at the token endpoint a failure is 401', async () => {
  const clientId = publish('/flaky.json', {}, 'max-age=300');
  const { verifier, challenge } = pkcePair();
  const code = await authorize(ctx.app, client(clientId), jar, { challenge });

  ctx.clock.advance(301);
  documents.set('/flaky.json', { status: 500, body: {} });
  const stillWorks = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CALLBACK,
    client_id: clientId,
    code_verifier: verifier,
  });
  assert.equal(stillWorks.statusCode, 200, stillWorks.body);

  ctx.clock.advance(24 * 3600);
  const refused = await token({
    grant_type: 'refresh_token',
    refresh_token: stillWorks.json().refresh_token,
    client_id: clientId,
  });
  assert.equal(refused.statusCode, 401, refused.body);
  assert.equal(refused.json().error, 'invalid_client');
  assert.match(refused.json().error_description, /metadata document/);
  const page = await authorizeRequest(clientId);
  assert.equal(page.statusCode, 400);
});

test('with CLIENT_METADATA_ALLOW_PRIVATE off (the default), a loopback document is refused before any connection', async () => {
  const closed = await buildApp({
    ...testDeps(ctx.deps.db, loadConfig({ RATE_LIMIT: 'off', LOG_LEVEL: 'silent', ISSUER: 'http://doorman.test' })),
    clientMetadataCa: ca,
  });
  try {
    const before = fetched.get('/private.json') ?? 0;
    const clientId = publish('/private.json');
    const res = await closed.inject({
      method: 'GET',
      url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK })}`,
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /loopback|private/);
    assert.equal(fetched.get('/private.json') ?? 0, before, 'never connected');
  } finally {
    await closed.close();
  }
});
