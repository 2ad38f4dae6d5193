import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { testApp, userToken, type TestContext } from './support/app.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

test('a whole flow: register, sign in, authorize, exchange, verify, revoke', async () => {
  const { client, token } = await userToken(ctx);
  assert.equal(token.scope, 'read write');
  const me = await ctx.app.inject({
    url: '/api/v1/accounts/verify_credentials',
    headers: { authorization: `Bearer ${token.access_token}` },
  });
  assert.equal(me.statusCode, 200);
  assert.equal(me.json().username, 'alice');
  const revoked = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: { client_id: client.client_id, client_secret: client.client_secret, token: token.access_token },
  });
  assert.equal(revoked.statusCode, 200);
  assert.deepEqual(revoked.json(), {});
  const after = await ctx.app.inject({
    url: '/api/v1/accounts/verify_credentials',
    headers: { authorization: `Bearer ${token.access_token}` },
  });
  assert.equal(after.statusCode, 401);
});
