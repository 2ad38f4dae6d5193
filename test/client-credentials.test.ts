// client_credentials runs as one statement (client, secret digest, scopes, token, audit row):
// each check must still hold, and nothing may be written when one fails.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registerApp, testApp, type RegisteredApp, type TestContext } from './support/app.js';
import { basicAuth } from './support/bodies.js';

let ctx: TestContext;

before(async () => {
  ctx = await testApp();
});
after(() => ctx.close());

const grant = (app: RegisteredApp, fields: Record<string, string> = {}) =>
  ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'client_credentials',
      client_id: app.client_id,
      client_secret: app.client_secret,
      ...fields,
    },
  });
const count = async (sql: string, params: unknown[] = []) =>
  (await ctx.deps.db.query<{ n: number }>(sql, params))[0]!.n;
const tokens = () => count('SELECT count(*)::int AS n FROM access_tokens');
const issuedEvents = (clientId: string) =>
  count(`SELECT count(*)::int AS n FROM audit_events WHERE event = 'token.issued' AND client_id = $1`, [clientId]);

test('a scope is granted when the app holds it or a parent of it, never a wider one', async () => {
  const app = await registerApp(ctx.app, { scopes: 'read:accounts write admin:read' });
  for (const scope of ['read:accounts', 'write', 'write:statuses write:media', 'admin:read', 'admin:read:accounts']) {
    const res = await grant(app, { scope });
    assert.equal(res.statusCode, 200, `${scope}: ${res.body}`);
    assert.equal(res.json().scope, scope);
  }
  const before = await tokens();
  for (const scope of [
    'read',
    'read:statuses',
    'read:accounts follow',
    'admin:write',
    'admin:write:accounts',
    'push',
  ]) {
    const res = await grant(app, { scope });
    assert.equal(res.statusCode, 400, `${scope}: ${res.body}`);
    assert.equal(res.json().error, 'invalid_scope');
  }
  assert.equal(await tokens(), before, 'a refused scope stores no token');
});

test('a parent scope grants its children, and the default scope is read', async () => {
  const app = await registerApp(ctx.app, { scopes: 'read' });
  const res = await grant(app, { scope: 'read:accounts' });
  assert.equal(res.statusCode, 200, res.body);
  // the default scope is read
  assert.equal((await grant(app)).json().scope, 'read');
});

test('a wrong secret or an unknown client is invalid_client and writes nothing', async () => {
  const app = await registerApp(ctx.app);
  const before = await tokens();
  const wrong = await grant(app, { client_secret: `${app.client_secret}x` });
  assert.equal(wrong.statusCode, 401, wrong.body);
  assert.equal(wrong.json().error, 'invalid_client');
  const unknown = await grant({ ...app, client_id: 'no-such-client' });
  assert.equal(unknown.statusCode, 401);
  assert.equal(unknown.json().error, 'invalid_client');
  // a bad client is reported before a bad scope
  const both = await grant(app, { client_secret: 'wrong', scope: 'not-a-scope' });
  assert.equal(both.statusCode, 401);
  const basic = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials' },
    headers: { authorization: basicAuth(app.client_id, 'wrong') },
  });
  assert.equal(basic.statusCode, 401);
  assert.match(String(basic.headers['www-authenticate']), /^Basic/);
  assert.equal(await tokens(), before);
  assert.equal(await issuedEvents(app.client_id), 0);
});

test('each issued token has its audit row, and the app counts as used', async () => {
  const app = await registerApp(ctx.app);
  for (let i = 0; i < 3; i++) assert.equal((await grant(app)).statusCode, 200);
  assert.equal(await issuedEvents(app.client_id), 3);
  assert.equal(
    await count('SELECT count(*)::int AS n FROM applications WHERE client_id = $1 AND first_used_at IS NOT NULL', [
      app.client_id,
    ]),
    1,
  );
  const res = await ctx.app.inject({
    url: '/api/v1/apps/verify_credentials',
    headers: { authorization: `Bearer ${(await grant(app)).json().access_token}` },
  });
  assert.equal(res.statusCode, 200, res.body);
});
