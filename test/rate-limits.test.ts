import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.js';
import { DOCUMENT_CLIENT_AUTHORIZATIONS } from '../src/http/rate-limits.js';
import { registerApp, testApp, type RegisteredApp } from './support/app.js';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A client_credentials token request, with the secret in the body or as HTTP Basic. */
function tokenRequest(app: FastifyInstance, client: RegisteredApp, opts: { basic?: boolean; from?: string } = {}) {
  const credentials = { client_id: client.client_id, client_secret: client.client_secret };
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress: opts.from ?? '127.0.0.1',
    ...(opts.basic
      ? {
          headers: {
            authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
          },
          payload: { grant_type: 'client_credentials' },
        }
      : { payload: { grant_type: 'client_credentials', ...credentials } }),
  });
}

function assertTooMany(res: LightMyRequestResponse, windowSeconds: number) {
  assert.equal(res.statusCode, 429, res.body);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= windowSeconds,
    `Retry-After: ${res.headers['retry-after']}`,
  );
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(res.json(), { error: 'Too many requests' });
}

test('token endpoint: 429 with Retry-After past the limit, per client and address, until the window ends', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: '3' });
  try {
    const a = await registerApp(ctx.app);
    const b = await registerApp(ctx.app);
    for (let i = 0; i < 3; i++) assert.equal((await tokenRequest(ctx.app, a)).statusCode, 200);
    assertTooMany(await tokenRequest(ctx.app, a), 60);
    // Basic or body: the same client, the same count
    assertTooMany(await tokenRequest(ctx.app, a, { basic: true }), 60);
    // another client on the same address, and the same client elsewhere, are not held back
    assert.equal((await tokenRequest(ctx.app, b, { basic: true })).statusCode, 200);
    assert.equal((await tokenRequest(ctx.app, a, { from: '192.0.2.7' })).statusCode, 200);
    // each endpoint counts on its own
    const introspect = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/introspect',
      payload: { client_id: a.client_id, client_secret: a.client_secret, token: 'x' },
    });
    assert.equal(introspect.statusCode, 200);
    // the counters live in the database, never a secret in them
    const rows = await ctx.deps.db.query<{ key: string; count: number }>(
      'SELECT key, count FROM rate_limits ORDER BY key',
    );
    assert.ok(
      rows.some((r) => r.key === `POST /oauth/token ${a.client_id}|127.0.0.1` && r.count === 5),
      JSON.stringify(rows),
    );
    assert.ok(!JSON.stringify(rows).includes(a.client_secret));

    ctx.clock.advance(61);
    assert.equal((await tokenRequest(ctx.app, a)).statusCode, 200);
  } finally {
    await ctx.close();
  }
});

test('revoke and introspection are limited per client and address too', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: '2' });
  try {
    const a = await registerApp(ctx.app);
    for (const url of ['/oauth/revoke', '/oauth/introspect']) {
      const send = () =>
        ctx.app.inject({
          method: 'POST',
          url,
          payload: { client_id: a.client_id, client_secret: a.client_secret, token: 'x' },
        });
      assert.equal((await send()).statusCode, 200);
      assert.equal((await send()).statusCode, 200);
      assertTooMany(await send(), 60);
    }
  } finally {
    await ctx.close();
  }
});

test('app registration: RATE_LIMIT_APPS per address per 10 minutes', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_APPS: '2' });
  try {
    const register = (from = '127.0.0.1') =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/apps',
        remoteAddress: from,
        payload: { client_name: 'x', redirect_uris: 'https://x.example/cb' },
      });
    assert.equal((await register()).statusCode, 200);
    assert.equal((await register()).statusCode, 200);
    assertTooMany(await register(), 600);
    assert.equal((await register('2001:db8::1')).statusCode, 200);
    // the limit counts before the body is read: a bad body past the limit is still 429
    assertTooMany(
      await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/apps',
        payload: 'not json',
        headers: { 'content-type': 'application/json' },
      }),
      600,
    );
    ctx.clock.advance(601);
    assert.equal((await register()).statusCode, 200);
    // RFC 7591 registration draws on the same budget
    const registerClient = () =>
      ctx.app.inject({ method: 'POST', url: '/oauth/register', payload: { redirect_uris: ['https://x.example/cb'] } });
    assert.equal((await registerClient()).statusCode, 201);
    assertTooMany(await registerClient(), 600);
    assertTooMany(await register(), 600);
  } finally {
    await ctx.close();
  }
});

test('sign-in: past the per-address request limit, a 429 page with Retry-After', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_SIGN_IN: '1' });
  try {
    // requests count before anything else: these fail the CSRF check (403) and still count
    for (let i = 0; i < 10; i++) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/auth/sign_in',
        payload: { username: 'a', password: 'b' },
      });
      assert.equal(res.statusCode, 403);
    }
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_in',
      payload: { username: 'a', password: 'b' },
    });
    assert.equal(res.statusCode, 429);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.ok(Number(res.headers['retry-after']) > 0 && Number(res.headers['retry-after']) <= 900);
    assert.match(res.body, /Too many/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    // the form itself is not limited
    assert.equal((await ctx.app.inject({ method: 'GET', url: '/auth/sign_in' })).statusCode, 200);
  } finally {
    await ctx.close();
  }
});

test('RATE_LIMIT=off never limits', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'off', RATE_LIMIT_TOKEN: '1', RATE_LIMIT_APPS: '1' });
  try {
    const a = await registerApp(ctx.app);
    await registerApp(ctx.app);
    for (let i = 0; i < 10; i++) {
      const res = await tokenRequest(ctx.app, a);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-ratelimit-limit'], undefined);
    }
    const [row] = await ctx.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM rate_limits');
    assert.equal(row!.n, 0);
  } finally {
    await ctx.close();
  }
});

test('two app instances on one database share the limit', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: '3' });
  const second = await buildApp(ctx.deps);
  try {
    const a = await registerApp(ctx.app);
    assert.equal((await tokenRequest(ctx.app, a)).statusCode, 200);
    assert.equal((await tokenRequest(second, a)).statusCode, 200);
    assert.equal((await tokenRequest(ctx.app, a)).statusCode, 200);
    assertTooMany(await tokenRequest(second, a), 60);
    assertTooMany(await tokenRequest(ctx.app, a), 60);
  } finally {
    await second.close();
    await ctx.close();
  }
});

test('with REDIS_URL the counters live in Redis, shared by every instance', async () => {
  // a name space of its own (the store's keys are per issuer), so runs never see each other's keys
  const issuer = `http://doorman-${randomUUID()}.test`;
  const ctx = await testApp({
    RATE_LIMIT: 'on',
    RATE_LIMIT_TOKEN: '2',
    RATE_LIMIT_APPS: '3',
    REDIS_URL,
    ISSUER: issuer,
  });
  const second = await buildApp(ctx.deps);
  const redis = new Redis(REDIS_URL);
  try {
    const a = await registerApp(ctx.app);
    const b = await registerApp(ctx.app);
    assert.equal((await tokenRequest(ctx.app, a)).statusCode, 200);
    assert.equal((await tokenRequest(second, a)).statusCode, 200);
    assertTooMany(await tokenRequest(ctx.app, a), 60);
    assertTooMany(await tokenRequest(second, a), 60);
    assert.equal((await tokenRequest(second, b)).statusCode, 200);
    // both registration endpoints, on either instance, count as one (two registrations above)
    const registerClient = (app: typeof second) =>
      app.inject({ method: 'POST', url: '/oauth/register', payload: { redirect_uris: ['https://x.example/cb'] } });
    assert.equal((await registerClient(second)).statusCode, 201);
    assertTooMany(await registerClient(ctx.app), 600);

    const keys = await redis.keys(`doorman:${issuer}:rate-limit:*`);
    assert.ok(
      keys.some((k) => k.includes('/oauth/token') && k.includes(a.client_id)),
      keys.join(', '),
    );
    const [row] = await ctx.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM rate_limits');
    assert.equal(row!.n, 0, 'nothing counted in the database when Redis is in use');
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
    await second.close();
    await ctx.close();
  }
});

test('a rate-limit store that fails lets requests through (a limiter outage is not a login outage)', async () => {
  // nothing listens on port 1: every Redis command fails at once
  const ctx = await testApp({
    RATE_LIMIT: 'on',
    RATE_LIMIT_TOKEN: '1',
    REDIS_URL: 'redis://127.0.0.1:1',
    ISSUER: `http://doorman-${randomUUID()}.test`,
  });
  try {
    const a = await registerApp(ctx.app);
    for (let i = 0; i < 3; i++) assert.equal((await tokenRequest(ctx.app, a)).statusCode, 200);
  } finally {
    await ctx.close();
  }
});

test('token endpoint: invented client ids count together under the address and write no row each', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: '3' });
  try {
    const real = await registerApp(ctx.app);
    const invent = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'client_credentials', client_id: randomUUID(), client_secret: 'x' },
      });
    for (let i = 0; i < 3; i++) assert.equal((await invent()).statusCode, 401);
    assertTooMany(await invent(), 60);
    assertTooMany(await invent(), 60);
    // a real client on the same address keeps its own count
    assert.equal((await tokenRequest(ctx.app, real)).statusCode, 200);
    const rows = await ctx.deps.db.query<{ key: string }>(
      `SELECT key FROM rate_limits WHERE key LIKE 'POST /oauth/token %'`,
    );
    assert.deepEqual(rows.map((r) => r.key).sort(), [
      `POST /oauth/token ${real.client_id}|127.0.0.1`,
      'POST /oauth/token |127.0.0.1',
    ]);
  } finally {
    await ctx.close();
  }
});

test('authorize requests naming a metadata-document client: a limit per address; other clients are not counted', async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on' });
  try {
    // loopback documents are refused before any connection (CLIENT_METADATA_ALLOW_PRIVATE is off)
    const named = (i: number, from = '127.0.0.1') =>
      ctx.app.inject({
        method: 'GET',
        url: `/oauth/authorize?client_id=https://127.0.0.1/client-${i}.json&redirect_uri=http://127.0.0.1/cb&response_type=code`,
        remoteAddress: from,
      });
    for (let i = 0; i < DOCUMENT_CLIENT_AUTHORIZATIONS; i++) assert.equal((await named(i)).statusCode, 400);
    const refused = await named(-1);
    assert.equal(refused.statusCode, 429);
    assert.match(String(refused.headers['content-type']), /text\/html/);
    assert.equal((await named(-1, '10.0.0.9')).statusCode, 400, 'another address has its own budget');
    const registered = await ctx.app.inject({
      method: 'GET',
      url: '/oauth/authorize?client_id=some-mastodon-app&redirect_uri=http://127.0.0.1/cb&response_type=code',
    });
    assert.equal(registered.statusCode, 400, 'a client id that is no document URL is not counted');
  } finally {
    await ctx.close();
  }
});
