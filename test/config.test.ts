// SPEC §1: every setting is read once; a bad value stops start-up with one line naming the variable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { cookieHeader, cookiesOf, csrfOf, testApp } from './support/app.js';
import { nodeArgs, ROOT } from './support/paths.js';

test('defaults are those of SPEC §1', () => {
  assert.deepEqual(loadConfig({}), {
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir: './data',
    issuer: 'http://127.0.0.1:3000',
    trustProxy: false,
    appRegistration: 'open',
    accessTokenTtl: undefined,
    authorizationCodeTtl: 600,
    extraScopes: [],
    refreshTokenTtl: 2592000,
    refreshReuseGrace: 30,
    rateLimit: { enabled: true, token: 600, signIn: 10, apps: 5 },
    redisUrl: undefined,
    logLevel: 'info',
    databasePooler: 'none',
    workers: 1,
    metrics: { port: undefined, host: '127.0.0.1' },
    instance: { title: 'Doorman', description: '', contactEmail: '' },
    clientMetadataAllowPrivate: false,
  });
});

test('ISSUER defaults to http://127.0.0.1:$PORT, the address served by default', () => {
  assert.equal(loadConfig({ PORT: '4000' }).issuer, 'http://127.0.0.1:4000');
  assert.equal(loadConfig({ PORT: '4000', ISSUER: 'https://auth.example' }).issuer, 'https://auth.example');
});

test('good values are read', () => {
  const c = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    DATABASE_URL: 'postgres://u:p@db:5432/doorman',
    DATA_DIR: '/var/lib/doorman',
    TRUST_PROXY: 'true',
    APP_REGISTRATION: 'closed',
    ACCESS_TOKEN_TTL: '3600',
    AUTHORIZATION_CODE_TTL: '60',
    SCOPES: 'api:read api:write',
    REFRESH_TOKEN_TTL: '86400',
    REFRESH_REUSE_GRACE: '0',
    RATE_LIMIT: 'off',
    RATE_LIMIT_TOKEN: '10',
    RATE_LIMIT_SIGN_IN: '3',
    RATE_LIMIT_APPS: '1',
    REDIS_URL: 'redis://127.0.0.1:6379',
    LOG_LEVEL: 'warn',
  });
  assert.equal(c.port, 8080);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.databaseUrl, 'postgres://u:p@db:5432/doorman');
  assert.equal(c.trustProxy, 1, 'true means one hop');
  assert.equal(c.appRegistration, 'closed');
  assert.equal(c.accessTokenTtl, 3600);
  assert.equal(c.authorizationCodeTtl, 60);
  assert.deepEqual(c.extraScopes, ['api:read', 'api:write']);
  assert.equal(c.refreshReuseGrace, 0);
  assert.deepEqual(c.rateLimit, { enabled: false, token: 10, signIn: 3, apps: 1 });
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(c.logLevel, 'warn');
});

test('TRUST_PROXY: false, true (one hop), a hop count, or a list of addresses and CIDRs', () => {
  assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, 1);
  assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8' }).trustProxy, [
    '10.0.0.0/8',
    '127.0.0.1',
    '::1',
    'fd00::/8',
  ]);
});

test('TRUST_PROXY=true trusts one hop only: the address is the one the proxy appended, not the client-written one', async () => {
  const ctx = await testApp({ TRUST_PROXY: 'true' });
  try {
    const form = await ctx.app.inject({ url: '/auth/sign_in' });
    await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_in',
      remoteAddress: '10.0.0.2',
      headers: { cookie: cookieHeader(cookiesOf(form)), 'x-forwarded-for': '6.6.6.6, 203.0.113.9' },
      payload: { username: 'nobody', password: 'x', _csrf: csrfOf(form.body) },
    });
    const [row] = await ctx.deps.db.query<{ address: string }>(
      `SELECT address FROM audit_events WHERE event = 'sign_in.failed'`,
    );
    assert.equal(row?.address, '203.0.113.9');
  } finally {
    await ctx.close();
  }
});

test('CLIENT_METADATA_ALLOW_PRIVATE: true or false, off by default', () => {
  assert.equal(loadConfig({ CLIENT_METADATA_ALLOW_PRIVATE: 'true' }).clientMetadataAllowPrivate, true);
  assert.equal(loadConfig({ CLIENT_METADATA_ALLOW_PRIVATE: 'false' }).clientMetadataAllowPrivate, false);
  assert.equal(loadConfig({ CLIENT_METADATA_ALLOW_PRIVATE: '' }).clientMetadataAllowPrivate, false);
});

test('an empty variable counts as unset', () => {
  assert.equal(loadConfig({ PORT: '', ISSUER: '' }).issuer, 'http://127.0.0.1:3000');
});

const BAD: Record<string, string>[] = [
  { PORT: 'abc' },
  { PORT: '70000' },
  { PORT: '-1' },
  { PORT: '80.5' },
  { DATABASE_URL: 'mysql://localhost/doorman' },
  { ISSUER: 'https://auth.example/' },
  { ISSUER: 'auth.example' },
  { ISSUER: 'ftp://auth.example' },
  { TRUST_PROXY: 'yes' },
  { TRUST_PROXY: '-1' },
  { TRUST_PROXY: '10.0.0.300' },
  { TRUST_PROXY: '10.0.0.0/33' },
  { TRUST_PROXY: '10.0.0.1,,10.0.0.2' },
  { APP_REGISTRATION: 'maybe' },
  { ACCESS_TOKEN_TTL: '0' },
  { ACCESS_TOKEN_TTL: 'forever' },
  { AUTHORIZATION_CODE_TTL: '-5' },
  { SCOPES: 'read "quoted"' },
  { REFRESH_TOKEN_TTL: '1.5' },
  { REFRESH_REUSE_GRACE: '-1' },
  { RATE_LIMIT: 'yes' },
  { RATE_LIMIT_TOKEN: '0' },
  { RATE_LIMIT_SIGN_IN: 'many' },
  { RATE_LIMIT_APPS: '-3' },
  { REDIS_URL: 'http://127.0.0.1:6379' },
  { LOG_LEVEL: 'loud' },
  { CLIENT_METADATA_ALLOW_PRIVATE: 'yes' },
  { CLIENT_METADATA_ALLOW_PRIVATE: '1' },
];

for (const env of BAD) {
  const [name, value] = Object.entries(env)[0]!;
  test(`${name}=${value} stops with one line naming ${name}`, () => {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.message.startsWith(`${name}: `), err.message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  });
}

test('the server stops on a bad setting with one line on stderr and a non-zero exit, before touching any storage', () => {
  for (const env of [
    { PORT: 'abc' },
    { ISSUER: 'http://localhost:3000/' },
    { APP_REGISTRATION: 'maybe' },
    { RATE_LIMIT: 'yes' },
  ]) {
    const [name] = Object.keys(env);
    const run = spawnSync(process.execPath, nodeArgs('src/main.ts'), {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: '/nonexistent/doorman-config-test',
        ...env,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.notEqual(run.status, 0, JSON.stringify(env));
    assert.equal(run.stdout, '');
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`\\b${name}\\b`));
    assert.doesNotMatch(run.stderr, /\bat .+:\d+:\d+/, 'no stack trace');
  }
});
