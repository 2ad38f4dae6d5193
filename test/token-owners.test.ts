// Bearer checks keep a token's app and user in memory (src/oauth/token-owners.ts). Whether the token
// is live is read on every check; the cache may only ever show an owner's unchanging fields, and for
// at most OWNER_CACHE_MS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deleteUser } from '../src/accounts/users.js';
import { deleteApplication } from '../src/oauth/applications.js';
import { OWNER_CACHE_MS } from '../src/oauth/token-owners.js';
import {
  authorize,
  exchangeCode,
  makeUser,
  registerApp,
  signIn,
  testApp,
  userToken,
  type TestContext,
} from './support/app.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

const bearer = (url: string, token: string) => ctx.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
const appName = async (token: string) => (await bearer('/api/v1/apps/verify_credentials', token)).json().name;

test('a revoked token is refused at once, though its owner is in memory', async () => {
  const { client, token } = await userToken(ctx, { username: 'revoked' });
  assert.equal((await bearer('/api/v1/accounts/verify_credentials', token.access_token)).statusCode, 200);
  const revoked = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: { client_id: client.client_id, client_secret: client.client_secret, token: token.access_token },
  });
  assert.equal(revoked.statusCode, 200);
  assert.equal((await bearer('/api/v1/accounts/verify_credentials', token.access_token)).statusCode, 401);
  assert.equal((await bearer('/api/v1/apps/verify_credentials', token.access_token)).statusCode, 401);
});

test('deleting the app or the user ends their tokens at once, though they are in memory', async () => {
  const byApp = await userToken(ctx, { username: 'app_deleted' });
  assert.equal((await bearer('/api/v1/apps/verify_credentials', byApp.token.access_token)).statusCode, 200);
  assert.equal(await deleteApplication(ctx.deps, byApp.client.client_id), true);
  assert.equal((await bearer('/api/v1/apps/verify_credentials', byApp.token.access_token)).statusCode, 401);

  const byUser = await userToken(ctx, { username: 'user_deleted' });
  assert.equal((await bearer('/api/v1/accounts/verify_credentials', byUser.token.access_token)).statusCode, 200);
  assert.equal(await deleteUser(ctx.deps, 'user_deleted'), true);
  assert.equal((await bearer('/api/v1/accounts/verify_credentials', byUser.token.access_token)).statusCode, 401);
});

test('an owner row changed by hand shows once OWNER_CACHE_MS has passed', async () => {
  const { client, token } = await userToken(ctx, { username: 'renamed' });
  const before = await appName(token.access_token);
  await ctx.deps.db.query('UPDATE applications SET name = $1 WHERE client_id = $2', [
    'Renamed by hand',
    client.client_id,
  ]);
  assert.equal(await appName(token.access_token), before, 'within the bound the remembered name may show');
  ctx.clock.advance(OWNER_CACHE_MS / 1000 + 1);
  assert.equal(await appName(token.access_token), 'Renamed by hand');
});

test('tokens of one app for two users each show their own user', async () => {
  const client = await registerApp(ctx.app);
  for (const username of ['first', 'second']) {
    const { password } = await makeUser(ctx.deps, username);
    const jar = await signIn(ctx.app, username, password);
    const res = await exchangeCode(ctx.app, client, await authorize(ctx.app, client, jar));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      (await bearer('/api/v1/accounts/verify_credentials', res.json().access_token)).json().username,
      username,
    );
  }
});
