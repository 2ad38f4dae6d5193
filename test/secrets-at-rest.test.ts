// SPEC §2: after whole flows, no table holds a secret in plaintext: not the client secret, the code,
// the access or refresh token, the password, the PKCE verifier or the sign-in session id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  authorize,
  exchangeCode,
  makeUser,
  pkcePair,
  registerApp,
  signIn,
  testApp,
  type TestContext,
} from './support/app.js';

/** Every row of every table of the schema, as JSON text. */
async function dump(ctx: TestContext): Promise<{ table: string; row: string }[]> {
  const tables = await ctx.deps.db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  assert.ok(
    tables.some((t) => t.name === 'access_tokens'),
    'the dump sees the tables',
  );
  const rows: { table: string; row: string }[] = [];
  for (const { name } of tables) {
    for (const r of await ctx.deps.db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${name}" t`))
      rows.push({ table: name, row: r.row });
  }
  return rows;
}

async function wholeFlow(ctx: TestContext) {
  const secrets: Record<string, string> = {};
  const client = await registerApp(ctx.app, {
    redirect_uris: ['https://client.example/cb', 'urn:ietf:wg:oauth:2.0:oob'],
  });
  secrets.client_secret = client.client_secret;
  const password = 'Tr0ub4dor&3-unique-password';
  await makeUser(ctx.deps, 'alice', password);
  secrets.password = password;
  const jar = await signIn(ctx.app, 'alice', password);
  secrets.session = jar.doorman_session!;
  secrets.csrf_secret = jar.doorman_csrf!;
  const { verifier, challenge } = pkcePair();
  const code = await authorize(ctx.app, client, jar, { scope: 'read write', challenge, state: 'st' });
  secrets.code = code;
  secrets.code_verifier = verifier;
  const res = await exchangeCode(ctx.app, client, code, { code_verifier: verifier });
  assert.equal(res.statusCode, 200, res.body);
  secrets.access_token = res.json().access_token;
  if (res.json().refresh_token) {
    secrets.refresh_token = res.json().refresh_token;
    const refreshed = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'refresh_token',
        refresh_token: res.json().refresh_token,
        client_id: client.client_id,
        client_secret: client.client_secret,
      },
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    secrets.refreshed_access_token = refreshed.json().access_token;
    secrets.refreshed_refresh_token = refreshed.json().refresh_token;
  }
  // a second, unredeemed code stays in the table
  secrets.pending_code = await authorize(ctx.app, client, jar, { scope: 'read' });
  const cc = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
  });
  secrets.app_token = cc.json().access_token;
  // a failed sign-in with the password typed into the wrong field is a mistake we cannot help,
  // but a wrong password must not be stored
  const form = await ctx.app.inject({
    method: 'POST',
    url: '/auth/sign_in',
    payload: { username: 'alice', password: 'wrong-password-typed' },
  });
  assert.ok(form.statusCode >= 400);
  for (const [name, value] of Object.entries(secrets)) assert.ok(value && value.length >= 20, `${name} was captured`);
  return secrets;
}

for (const env of [{}, { ACCESS_TOKEN_TTL: '3600' }] as Record<string, string>[]) {
  test(`no plaintext secret in any row after a whole flow ${JSON.stringify(env)}`, async () => {
    const ctx = await testApp(env);
    try {
      const secrets = await wholeFlow(ctx);
      const rows = await dump(ctx);
      assert.ok(rows.length > 5);
      for (const { table, row } of rows) {
        for (const [name, value] of Object.entries(secrets)) {
          assert.ok(!row.includes(value), `${table} holds the ${name}: ${row}`);
        }
        assert.ok(!row.includes('wrong-password-typed'), `${table} holds a typed password`);
      }
    } finally {
      await ctx.close();
    }
  });
}
