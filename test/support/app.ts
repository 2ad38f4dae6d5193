import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { hashPassword } from '../../src/accounts/passwords.js';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { ScopeCatalog } from '../../src/oauth/scopes.js';
import { ownerCache } from '../../src/oauth/token-owners.js';
import { Metrics } from '../../src/metrics.js';
import { insertUser } from '../../src/store/users.js';
import { testDatabase, type TestDatabase } from './database.js';
import { freePort } from './process.js';

/** A clock tests can move: expiry is checked without sleeping. */
export class TestClock {
  private offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

export interface TestContext {
  app: FastifyInstance;
  deps: Deps;
  clock: TestClock;
  database: TestDatabase;
  close(): Promise<void>;
}

/** What the services are handed in tests: a silent log, no process metrics, a clock tests can move. */
export function testDeps(db: Deps['db'], config: Config, clock: TestClock = new TestClock()): Deps {
  return {
    db,
    config,
    clock: clock.now,
    scopes: new ScopeCatalog(config.extraScopes),
    owners: ownerCache(),
    log: pino({ level: 'silent' }),
    metrics: new Metrics({ db, processMetrics: false }),
  };
}

/**
 * Settings as environment variables, e.g. { ACCESS_TOKEN_TTL: '3600' }. Rate limits are off unless
 * asked for. `extra` adds to the deps.
 */
export async function testApp(env: Record<string, string> = {}, extra: Partial<Deps> = {}): Promise<TestContext> {
  const database = await testDatabase();
  const clock = new TestClock();
  const config = loadConfig({ RATE_LIMIT: 'off', ISSUER: 'http://doorman.test', LOG_LEVEL: 'silent', ...env });
  const deps: Deps = { ...testDeps(database.db, config, clock), ...extra };
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    clock,
    database,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

/**
 * Doorman listening on a free loopback port, its ISSUER that address: for clients that speak HTTP
 * themselves (browsers, client libraries). Settings as for testApp; `extra` adds to the deps.
 */
export async function listeningApp(env: Record<string, string> = {}, extra: Partial<Deps> = {}) {
  const port = await freePort();
  const ctx = await testApp({ ISSUER: `http://127.0.0.1:${port}`, ...env }, extra);
  await ctx.app.listen({ port, host: '127.0.0.1' });
  return { ...ctx, port, issuer: ctx.deps.config.issuer };
}

export interface RegisteredApp {
  id: string;
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  scopes: string[];
}

export async function registerApp(app: FastifyInstance, fields: Record<string, unknown> = {}): Promise<RegisteredApp> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/apps',
    payload: {
      client_name: 'Test app',
      redirect_uris: 'https://client.example/cb',
      scopes: 'read write follow push profile',
      ...fields,
    },
  });
  if (res.statusCode !== 200) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/**
 * Hashes made so far in this test process, by password. A hash costs a few hundred ms of CPU by
 * design, and the suite makes a hundred or so users with a handful of passwords; each user still
 * gets a real hash with the current parameters (only the salt is shared between users of one
 * password). Signing in verifies it in full; test/passwords.test.ts and test/cli.test.ts make users
 * through createUser, its validation and its own hash.
 */
const hashes = new Map<string, Promise<string>>();

/** A user for a test to sign in as: a row as createUser writes it, with `password`'s hash. */
export async function makeUser(
  deps: Pick<Deps, 'db' | 'clock'>,
  username = 'alice',
  password = 'correct horse battery staple',
) {
  let passwordHash = hashes.get(password);
  if (!passwordHash) {
    passwordHash = hashPassword(password);
    hashes.set(password, passwordHash);
  }
  const user = await insertUser(deps.db, {
    username,
    email: `${username}@example.com`,
    displayName: '',
    passwordHash: await passwordHash,
    createdAt: deps.clock(),
  });
  return { user, username, password };
}

/** Cookies from a response, as a header value to send back. */
export function cookiesOf(res: LightMyRequestResponse, jar: Record<string, string> = {}): Record<string, string> {
  for (const c of res.cookies) {
    if (c.value === '' || (c.maxAge !== undefined && c.maxAge <= 0)) delete jar[c.name];
    else jar[c.name] = c.value;
  }
  return jar;
}

export const cookieHeader = (jar: Record<string, string>) =>
  Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

/** The hidden CSRF token of a rendered form. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
}

/** Signs in through the real form; returns the cookie jar. */
export async function signIn(
  app: FastifyInstance,
  username: string,
  password: string,
): Promise<Record<string, string>> {
  const form = await app.inject({ method: 'GET', url: '/auth/sign_in' });
  const jar = cookiesOf(form);
  const res = await app.inject({
    method: 'POST',
    url: '/auth/sign_in',
    headers: { cookie: cookieHeader(jar) },
    payload: { username, password, _csrf: csrfOf(form.body) },
  });
  if (res.statusCode !== 303) throw new Error(`sign-in failed: ${res.statusCode}`);
  return cookiesOf(res, jar);
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeOptions {
  redirectUri?: string;
  scope?: string;
  state?: string;
  challenge?: string;
  resource?: string;
}

/** GET /oauth/authorize as the signed-in user, then press Authorize; returns the code. */
export async function authorize(
  app: FastifyInstance,
  client: RegisteredApp,
  jar: Record<string, string>,
  opts: AuthorizeOptions = {},
): Promise<string> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: opts.redirectUri ?? client.redirect_uris[0]!,
  });
  if (opts.scope) query.set('scope', opts.scope);
  if (opts.state) query.set('state', opts.state);
  if (opts.challenge) {
    query.set('code_challenge', opts.challenge);
    query.set('code_challenge_method', 'S256');
  }
  if (opts.resource) query.set('resource', opts.resource);
  const page = await app.inject({
    method: 'GET',
    url: `/oauth/authorize?${query}`,
    headers: { cookie: cookieHeader(jar) },
  });
  let location: string | undefined;
  if (page.statusCode === 302) {
    location = page.headers.location as string; // remembered consent
  } else {
    if (page.statusCode !== 200) throw new Error(`authorize page: ${page.statusCode} ${page.body}`);
    const res = await app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { cookie: cookieHeader(cookiesOf(page, jar)) },
      payload: { ...Object.fromEntries(query), decision: 'authorize', _csrf: csrfOf(page.body) },
    });
    if (res.statusCode !== 302) throw new Error(`authorize: ${res.statusCode} ${res.body}`);
    location = res.headers.location as string;
  }
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  return code;
}

export async function exchangeCode(
  app: FastifyInstance,
  client: RegisteredApp,
  code: string,
  extra: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirect_uris[0],
      client_id: client.client_id,
      client_secret: client.client_secret,
      ...extra,
    },
  });
}

/** A whole flow: user, app, sign-in, consent, token. */
export async function userToken(ctx: TestContext, opts: { scope?: string; username?: string } = {}) {
  const client = await registerApp(ctx.app);
  const { username, password, user } = await makeUser(ctx.deps, opts.username ?? 'alice');
  const jar = await signIn(ctx.app, username, password);
  const code = await authorize(ctx.app, client, jar, { scope: opts.scope ?? 'read write' });
  const res = await exchangeCode(ctx.app, client, code);
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return { client, user, jar, token: res.json() as { access_token: string; scope: string; refresh_token?: string } };
}
