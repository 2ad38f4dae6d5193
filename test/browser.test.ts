// The whole flow in a real browser (Debian's chromium driven by playwright-core) against a listening
// Doorman: open the authorize URL, sign in, press Authorize, land on the client's redirect URI with
// code, state and iss; exchange the code and call verify_credentials. Also the out-of-band page and
// Deny. The browser is required: a missing chromium fails this file, it is never skipped.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Deps } from '../src/deps.js';
import { makeUser, testDeps } from './support/app.js';
import { testDatabase, type TestDatabase } from './support/database.js';
import { freePort } from './support/process.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OOB = 'urn:ietf:wg:oauth:2.0:oob';
/** A phone-sized window: the pages must work there. */
const PHONE = { width: 390, height: 844 };
/** One long word: the pages must wrap it rather than run off a phone's screen. */
const APP_NAME = 'PocketReaderForLongArticlesAndNewsletters';
export const CONSENT_SCREENSHOT = join(tmpdir(), 'doorman-consent.png');

let browser: Browser;
let server: FastifyInstance;
let database: TestDatabase;
let deps: Deps;
let issuer: string;
let clientSite: http.Server;
let callback: string;
let client: { client_id: string; client_secret: string };

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH. This test is not skipped.`,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

  // The client application's site: where the browser lands after the user answers.
  clientSite = http.createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>Client</title><p>back at the client</p>'),
  );
  await new Promise<void>((resolve) => clientSite.listen(0, '127.0.0.1', resolve));
  callback = `http://127.0.0.1:${(clientSite.address() as { port: number }).port}/cb`;

  database = await testDatabase();
  const port = await freePort();
  const config = loadConfig({ ISSUER: `http://127.0.0.1:${port}`, RATE_LIMIT: 'off', LOG_LEVEL: 'silent' });
  deps = testDeps(database.db, config);
  server = await buildApp(deps);
  await server.listen({ port, host: '127.0.0.1' });
  issuer = config.issuer;

  const registered = await fetch(`${issuer}/api/v1/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: APP_NAME,
      redirect_uris: [callback, OOB],
      scopes: 'read write',
      website: 'https://reader.example',
    }),
  });
  assert.equal(registered.status, 200);
  client = (await registered.json()) as typeof client;
});

after(async () => {
  await browser?.close();
  await server?.close();
  await database?.drop();
  clientSite?.close();
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(redirectUri: string, state: string, challenge: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: redirectUri,
    scope: 'read write',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${issuer}/oauth/authorize?${query}`;
}

/** A fresh browser (no cookies) on a phone-sized screen, sent to the authorize URL and signed in there. */
async function signedInAtConsent(url: string, username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(url);
  assert.equal(new URL(page.url()).pathname, '/auth/sign_in', 'not signed in: sent to sign in first');
  await page.getByLabel('User name or e-mail').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/oauth/authorize'),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  await page.getByRole('button', { name: 'Authorize' }).waitFor();
  return page;
}

async function exchange(code: string, redirectUri: string, verifier: string) {
  const res = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: client.client_id,
      client_secret: client.client_secret,
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { access_token: string; scope: string; token_type: string };
}

async function verifyCredentials(token: string) {
  const res = await fetch(`${issuer}/api/v1/accounts/verify_credentials`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { username: string };
}

test('sign in, press Authorize, land on the client with code, state and iss; the code buys a working token', async () => {
  const { username, password } = await makeUser(deps, 'alice');
  const { verifier, challenge } = pkce();
  const page = await signedInAtConsent(authorizeUrl(callback, 'state-1', challenge), username, password);

  // The consent page names the app, its website, the account and each scope in words.
  assert.match(await page.getByRole('heading', { level: 1 }).innerText(), new RegExp(APP_NAME));
  const text = await page.locator('main').innerText();
  assert.match(text, /reader\.example/);
  assert.match(text, /@alice/);
  assert.equal(await page.locator('ul.scopes li').count(), 2);
  await page.screenshot({ path: CONSENT_SCREENSHOT, fullPage: true });
  // Nothing sticks out sideways on a phone.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 0, `the consent page is ${overflow}px wider than the phone`);

  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(callback)),
    page.getByRole('button', { name: 'Authorize' }).click(),
  ]);
  const landed = new URL(page.url());
  assert.equal(landed.searchParams.get('state'), 'state-1');
  assert.equal(landed.searchParams.get('iss'), issuer);
  const code = landed.searchParams.get('code');
  assert.ok(code, `no code in ${landed.href}`);
  assert.equal(await page.locator('p').innerText(), 'back at the client');

  const token = await exchange(code, callback, verifier);
  assert.equal(token.token_type, 'Bearer');
  assert.equal(token.scope, 'read write');
  assert.equal((await verifyCredentials(token.access_token)).username, 'alice');
  await page.context().close();
});

test('an out-of-band client: the code is shown in #authorization_code and works once', async () => {
  const { username, password } = await makeUser(deps, 'bob');
  const { verifier, challenge } = pkce();
  const page = await signedInAtConsent(authorizeUrl(OOB, 'state-2', challenge), username, password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/oauth/authorize'),
    page.getByRole('button', { name: 'Authorize' }).click(),
  ]);
  const code = (await page.locator('#authorization_code').innerText()).trim();
  assert.match(code, /^[A-Za-z0-9_-]{20,}$/);

  const token = await exchange(code, OOB, verifier);
  assert.equal((await verifyCredentials(token.access_token)).username, 'bob');
  const again = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: OOB,
      code_verifier: verifier,
      client_id: client.client_id,
      client_secret: client.client_secret,
    }),
  });
  assert.equal(again.status, 400);
  assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
  await page.context().close();
});

test('pressing Deny lands on the client with error=access_denied, the state and iss, and no code', async () => {
  const { username, password } = await makeUser(deps, 'carol');
  const page = await signedInAtConsent(authorizeUrl(callback, 'state-3', pkce().challenge), username, password);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(callback)),
    page.getByRole('button', { name: 'Deny' }).click(),
  ]);
  const landed = new URL(page.url());
  assert.equal(landed.searchParams.get('error'), 'access_denied');
  assert.equal(landed.searchParams.get('state'), 'state-3');
  assert.equal(landed.searchParams.get('iss'), issuer);
  assert.equal(landed.searchParams.get('code'), null);
  await page.context().close();
});
