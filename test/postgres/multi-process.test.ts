// Three Doorman processes on one Postgres database behave as one server.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createUser } from '../../src/accounts/users.js';
import type { Database } from '../../src/db/database.js';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { emptyDatabase } from '../support/database.js';
import {
  authorizeAt,
  exchangeAt,
  postForm,
  registerAppAt,
  signInAt,
  startDoorman,
  verifyAt,
  type DoormanProcess,
} from '../support/process.js';

let database: Awaited<ReturnType<typeof emptyDatabase>>;
let db: Database;
let a: DoormanProcess, b: DoormanProcess, c: DoormanProcess;
const APPS_LIMIT = 3;
/** Apps registered so far from this address, by any test in this file. */
let registered = 0;

before(async () => {
  database = await emptyDatabase();
  // All three start at once against an empty database, so they all try to migrate together.
  // Rate limits on, with a small app-registration limit to show that the three count together.
  const env = { DATABASE_URL: database.url!, RATE_LIMIT: 'on', RATE_LIMIT_APPS: String(APPS_LIMIT) };
  const started = await Promise.all([0, 1, 2].map(() => startDoorman(env)));
  [a, b, c] = started as [DoormanProcess, DoormanProcess, DoormanProcess];
  db = await database.open();
  await createUser(
    { db, clock: () => new Date() },
    { username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' },
  );
});

after(async () => {
  await Promise.all([a, b, c].map((p) => p?.stop('SIGKILL')));
  await db?.close();
  await database?.drop();
});

test('migrations started by three processes at once are each applied once', async () => {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort();
  const rows = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
  assert.deepEqual(
    rows.map((r) => r.name),
    files,
  );
  for (const p of [a, b, c]) assert.equal(p.child.exitCode, null, `a process died:\n${p.output()}`);
});

test('a code issued through A is redeemed at B; a token revoked at B is refused at once by A and C', async () => {
  const client = await registerAppAt(a.url);
  registered++;
  const jar = await signInAt(a.url, 'alice', 'correct horse battery staple');
  const code = await authorizeAt(a.url, client, jar, 'read');

  const res = await exchangeAt(b.url, client, code);
  assert.equal(res.status, 200, await res.clone().text());
  const { access_token: token } = (await res.json()) as { access_token: string };
  for (const p of [a, b, c]) assert.equal((await verifyAt(p.url, token)).status, 200, `before revoke at ${p.url}`);
  const revoked = await postForm(`${b.url}/oauth/revoke`, {
    client_id: client.client_id,
    client_secret: client.client_secret,
    token,
  });
  assert.equal(revoked.status, 200);
  // no wait between the revoke answer and these checks: no process may serve the token from a cache
  const [atA, atC] = await Promise.all([verifyAt(a.url, token), verifyAt(c.url, token)]);
  assert.equal(atA.status, 401);
  assert.equal(atC.status, 401);
  // and the code is spent everywhere, not only at B
  assert.equal((await exchangeAt(c.url, client, code)).status, 400);
});

test('rate limits are shared: app registrations across the three processes count together', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const p = [a, b, c][i % 3]!;
    const res = await postForm(`${p.url}/api/v1/apps`, {
      client_name: 'Flood',
      redirect_uris: 'urn:ietf:wg:oauth:2.0:oob',
    });
    statuses.push(res.status);
    if (res.status === 429) {
      assert.ok(res.headers.get('retry-after'));
      assert.equal(((await res.json()) as { error: string }).error, 'Too many requests');
    }
  }
  const allowed = APPS_LIMIT - registered;
  assert.deepEqual(statuses, [...Array(allowed).fill(200), ...Array(6 - allowed).fill(429)]);
});
