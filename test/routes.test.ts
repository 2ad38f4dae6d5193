// Each route is declared once (src/http/route.ts), and the declarations are the list that the
// OpenAPI document, CORS, the rate limits and the junk test read: nothing served may be missing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { admitOnly, declareRoute, route } from '../src/http/route.js';
import { DOCUMENT_CLIENT_AUTHORIZATIONS } from '../src/http/rate-limits.js';
import { ROUTES } from '../src/http/routes/index.js';
import { testApp, type TestContext } from './support/app.js';
import { servedRoutes } from './support/routes.js';

let ctx: TestContext;
before(
  async () =>
    (ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: '17', RATE_LIMIT_APPS: '5', RATE_LIMIT_SIGN_IN: '3' })),
);
after(() => ctx.close());

test('every route the app serves is declared, once, and every declared route is served', () => {
  const declared = ROUTES.map((r) => `${r.method} ${r.url}`);
  assert.equal(new Set(declared).size, declared.length, 'a route declared twice');
  assert.deepEqual(servedRoutes(ctx.app), [...declared].sort());
});

test('a route without a declaration, or declared for another audience, is refused at start', async () => {
  const api = Fastify();
  admitOnly(api, 'api');
  assert.throws(() => api.get('/undeclared', async () => ({})), /declared for nothing/);
  const page = route({
    method: 'GET',
    url: '/page',
    audience: 'page',
    tag: 'Pages',
    operationId: 'page',
    summary: 'A page',
    responses: {},
  });
  assert.throws(() => declareRoute(api, page, async () => 'x'), /registered for api but declared for page/);
  const fine = route({
    method: 'GET',
    url: '/fine',
    audience: 'api',
    tag: 'Server',
    operationId: 'fine',
    summary: 'Fine',
    responses: {},
  });
  declareRoute(api, fine, async () => ({ ok: true }));
  assert.equal((await api.inject({ url: '/fine' })).statusCode, 200);
  await api.close();
});

test('CORS preflights are answered on exactly the API routes', async () => {
  for (const r of ROUTES) {
    const res = await ctx.app.inject({
      method: 'OPTIONS',
      url: r.url,
      headers: { origin: 'https://elk.example', 'access-control-request-method': r.method },
    });
    assert.equal(res.statusCode, r.audience === 'api' ? 204 : 404, `${r.method} ${r.url}`);
    assert.equal(
      res.headers['access-control-allow-origin'],
      r.audience === 'api' ? '*' : undefined,
      `${r.method} ${r.url}`,
    );
  }
});

test('each route is counted by the limiter its declaration names, and no other route is', async () => {
  const max = { token: 17, apps: 5, signIn: 30, documents: DOCUMENT_CLIENT_AUTHORIZATIONS };
  for (const r of ROUTES) {
    // the documents limiter counts only requests naming a metadata-document client (a loopback one: never fetched)
    const url = r.rateLimit === 'documents' ? `${r.url}?client_id=https://127.0.0.1/client.json` : r.url;
    const res = await ctx.app.inject({ method: r.method, url, ...(r.method === 'POST' ? { payload: {} } : {}) });
    assert.equal(res.headers['x-ratelimit-limit'], r.rateLimit && String(max[r.rateLimit]), `${r.method} ${r.url}`);
  }
});
