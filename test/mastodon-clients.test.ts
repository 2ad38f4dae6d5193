// Mastodon client libraries as shipped, unchanged and with their default settings, against a
// listening Doorman (SPEC §9): Mastodon.py and toot from Debian (python3-mastodon, toot), signed in
// through Debian's chromium; masto.js from npm. A missing client or browser fails this file: it is
// never skipped.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createRestAPIClient } from 'masto';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import type { Deps } from '../src/deps.js';
import { authorize, exchangeCode, makeUser, registerApp, listeningApp, signIn } from './support/app.js';
import type { TestDatabase } from './support/database.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Debian's python, which has python3-mastodon (another python3 on PATH may not). */
const PYTHON = '/usr/bin/python3';
const TOOT = '/usr/bin/toot';
const SUPPORT = fileURLToPath(new URL('./support/', import.meta.url));
const PASSWORD = 'a long enough password';

let browser: Browser;
let server: FastifyInstance;
let database: TestDatabase;
let deps: Deps;
let issuer: string;
let host: string;

/** Runs a program to its end; the server is in this process, so never spawnSync. */
function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

async function mastodonPy(...args: string[]) {
  const res = await run(PYTHON, [join(SUPPORT, 'mastodon_py.py'), ...args]);
  assert.equal(res.code, 0, `Mastodon.py ${args[0]} failed:\n${res.stderr}`);
  // biome-ignore lint/suspicious/noExplicitAny: Mastodon.py's answers, read field by field by the asserts
  return JSON.parse(res.stdout) as Record<string, any>;
}

/** In the browser: sign in if asked to, press Authorize, read the code off the out-of-band page. */
async function codeFromBrowser(context: BrowserContext, url: string, username: string): Promise<string> {
  const page = await context.newPage();
  await page.goto(url);
  if (new URL(page.url()).pathname === '/auth/sign_in') {
    await page.getByLabel('User name or e-mail').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([
      page.waitForURL((u) => u.pathname.startsWith('/oauth/authorize')),
      page.getByRole('button', { name: 'Log in' }).click(),
    ]);
  }
  await page.getByRole('button', { name: 'Authorize' }).click();
  const code = (await page.locator('#authorization_code').innerText()).trim();
  await page.close();
  return code;
}

before(async () => {
  for (const [path, what] of [
    [CHROMIUM, 'chromium'],
    [PYTHON, 'python3'],
    [TOOT, 'toot'],
  ] as const) {
    if (!existsSync(path))
      throw new Error(
        `No ${what} at ${path}: install Debian's ${what} (apt-get install -y ${what}). This test is not skipped.`,
      );
  }
  const probe = await run(PYTHON, ['-c', 'import mastodon']);
  if (probe.code !== 0)
    throw new Error(
      `Mastodon.py is missing: apt-get install -y python3-mastodon. This test is not skipped.\n${probe.stderr}`,
    );
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
  const doorman = await listeningApp({ INSTANCE_TITLE: 'Doorman under test' });
  ({ app: server, database, deps, issuer } = doorman);
  host = `127.0.0.1:${doorman.port}`;
});

after(async () => {
  await browser?.close();
  await server?.close();
  await database?.drop();
});

test('Mastodon.py: register, sign in through the browser, verify the app and the account, force_login, revoke', async () => {
  await makeUser(deps, 'maria', PASSWORD);
  const registered = await mastodonPy('register', issuer);
  assert.equal(registered.version, '4.4.0', 'Mastodon.py reads the version from the instance answer');
  const context = await browser.newContext();
  const code = await codeFromBrowser(context, registered.url, 'maria');

  const login = await mastodonPy('login', issuer, registered.client_id, registered.client_secret, code);
  assert.equal(login.app_name, 'Mastodon.py at Doorman');
  assert.equal(login.account.username, 'maria');
  assert.equal(login.account.note, '');
  assert.equal(login.account.url, `${issuer}/@maria`);
  assert.equal(login.source_privacy, 'public');

  // The same browser, still signed in and holding a live token: without force_login it is not asked
  // to sign in; with Mastodon.py's force_login=True it is. (Mastodon.py 1.8 sends force_login=False
  // when not asked to force: Rails, and so Mastodon and Doorman, read that "False" as true.)
  const page = await context.newPage();
  const unforced = new URL(login.forced_url);
  unforced.searchParams.delete('force_login');
  await page.goto(unforced.href);
  assert.equal(new URL(page.url()).pathname, '/oauth/authorize', 'a signed-in browser goes on without force_login');
  await page.goto(login.forced_url);
  assert.match(login.forced_url, /force_login=True/);
  assert.equal(new URL(page.url()).pathname, '/auth/sign_in', 'force_login=True shows the sign-in form');
  await page.getByLabel('Password').waitFor();
  await context.close();

  const revoked = await mastodonPy('revoke', issuer, registered.client_id, registered.client_secret, login.token);
  assert.equal(revoked.refused_after_revoke, true);
});

test('toot: `toot login` at a terminal, code typed back from the browser, then `toot whoami`', async () => {
  await makeUser(deps, 'tobias', PASSWORD);
  const home = mkdtempSync(join(tmpdir(), 'doorman-toot-'));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    LANG: 'C.UTF-8',
    TERM: 'dumb',
  };
  const context = await browser.newContext();
  try {
    // toot's documented option for a server without https
    const login = spawn(PYTHON, [join(SUPPORT, 'toot_login.py'), host, '--disable-https'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    login.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number>((resolve) => login.on('close', (code) => resolve(code ?? 1)));
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: login.stdout }).once('line', resolve);
      login.once('close', () => reject(new Error(`toot login ended before showing a URL:\n${output}`)));
    });
    const { url } = JSON.parse(firstLine) as { url: string };
    assert.ok(url.startsWith(`${issuer}/oauth/authorize`), url);
    login.stdin.end(`${await codeFromBrowser(context, url, 'tobias')}\n`);
    assert.equal(await exited, 0, output);
    assert.match(output, /Found instance Doorman under test running Mastodon version 4\.4\.0 \(compatible; Doorman /);
    assert.match(output, /Successfully logged in/);

    const whoami = await run(TOOT, ['whoami'], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.match(whoami.stdout, /@tobias/);
    assert.match(whoami.stdout, /Followers: 0/);
    assert.ok(whoami.stdout.includes(`${issuer}/@tobias`), whoami.stdout);
  } finally {
    await context.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('masto.js: the instance, both versions, and the account with a user token', async () => {
  await makeUser(deps, 'mona', PASSWORD);
  const client = await registerApp(server, { scopes: 'read' });
  const jar = await signIn(server, 'mona', PASSWORD);
  const code = await authorize(server, client, jar, { scope: 'read' });
  const token = (await exchangeCode(server, client, code)).json() as { access_token: string };

  const masto = createRestAPIClient({ url: issuer, accessToken: token.access_token });
  const v2 = await masto.v2.instance.fetch();
  assert.equal(v2.domain, host);
  assert.equal(v2.title, 'Doorman under test');
  assert.equal(v2.apiVersions.mastodon, 6);
  assert.match(v2.version, /^4\.4\.0 \(compatible; Doorman /);
  const v1 = await masto.v1.instance.fetch();
  assert.equal(v1.uri, host);
  assert.ok(v1.stats.userCount >= 1);
  const account = await masto.v1.accounts.verifyCredentials();
  assert.equal(account.username, 'mona');
  assert.equal(account.acct, 'mona');
  assert.equal(account.avatar, `${issuer}/avatars/original/missing.png`);
  assert.equal(account.source.privacy, 'public');
  assert.equal(account.role?.id, '-99');
});
