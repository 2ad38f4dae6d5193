// Three Doorman processes behind PgBouncer in transaction mode (Debian's 1.18, default settings):
// the pooler hands every transaction any server connection, so nothing may rely on session state.
import assert from 'node:assert/strict';
import autocannon from 'autocannon';
import { after, before, test } from 'node:test';
import { createUser } from '../../src/accounts/users.js';
import type { Database } from '../../src/db/database.js';
import { emptyDatabase } from '../support/database.js';
import { havePgBouncer, startPgBouncer, type Pooler } from '../support/pgbouncer.js';
import {
  authorizeAt,
  clientTokenAt,
  exchangeAt,
  postForm,
  registerAppAt,
  signInAt,
  startDoorman,
  verifyAt,
  type DoormanProcess,
} from '../support/process.js';

// Under CI a missing pgbouncer fails the file (startPgBouncer throws) rather than skipping it.
const skip = !havePgBouncer() && !process.env.CI ? 'pgbouncer is not installed' : false;

let database: Awaited<ReturnType<typeof emptyDatabase>>;
let db: Database;
let pooler: Pooler;
let pooledUrl: string;
let processes: DoormanProcess[] = [];

before(async () => {
  if (skip) return;
  database = await emptyDatabase();
  pooler = await startPgBouncer(database.url!);
  pooledUrl = pooler.via(database.url!);
  // started together on an empty database: the three migrate at once, through the pooler
  // rate limits on (counted in Postgres) but far above what the load reaches
  const env = {
    DATABASE_URL: pooledUrl,
    DATABASE_POOLER: 'transaction',
    RATE_LIMIT: 'on',
    RATE_LIMIT_TOKEN: '100000000',
  };
  processes = await Promise.all([0, 1, 2].map(() => startDoorman(env)));
  db = await database.open();
  await createUser(
    { db, clock: () => new Date() },
    { username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' },
  );
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await db?.close();
  await pooler?.stop();
  await database?.drop();
});

test("without DATABASE_POOLER=transaction, the start-up failure names the pooler's refusal", { skip }, async () => {
  await assert.rejects(startDoorman({ DATABASE_URL: pooledUrl }), (err: Error) => {
    assert.match(err.message, /could not start: .*unsupported startup parameter: statement_timeout/);
    assert.match(err.message, /DATABASE_POOLER=transaction/);
    return true;
  });
});

test('a code issued through A is redeemed at B; a token revoked at B is refused at once by A and C', {
  skip,
}, async () => {
  const [a, b, c] = processes as [DoormanProcess, DoormanProcess, DoormanProcess];
  const client = await registerAppAt(a.url);
  const jar = await signInAt(a.url, 'alice', 'correct horse battery staple');
  const code = await authorizeAt(a.url, client, jar, 'read');
  const res = await exchangeAt(b.url, client, code);
  assert.equal(res.status, 200, await res.clone().text());
  const { access_token: token } = (await res.json()) as { access_token: string };
  for (const p of processes) assert.equal((await verifyAt(p.url, token)).status, 200, `before revoke at ${p.url}`);
  const revoked = await postForm(`${b.url}/oauth/revoke`, {
    client_id: client.client_id,
    client_secret: client.client_secret,
    token,
  });
  assert.equal(revoked.status, 200);
  const [atA, atC] = await Promise.all([verifyAt(a.url, token), verifyAt(c.url, token)]);
  assert.equal(atA.status, 401);
  assert.equal(atC.status, 401);
  assert.equal((await exchangeAt(c.url, client, code)).status, 400);
});

test('50 connections of client_credentials across the three: every answer 2xx', { skip, timeout: 60_000 }, async () => {
  const client = await registerAppAt(processes[0]!.url, { client_name: 'load' });
  assert.equal((await clientTokenAt(processes[1]!.url, client)).status, 200);
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: client.client_id,
    client_secret: client.client_secret,
    scope: 'read',
  }).toString();
  const results = await Promise.all(
    processes.map((p, i) =>
      autocannon({
        url: p.url,
        connections: i === 0 ? 18 : 16,
        duration: 3,
        requests: [
          {
            method: 'POST',
            path: '/oauth/token',
            body,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
        ],
      }),
    ),
  );
  const figures = results.map((r) => ({ ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts }));
  console.log(`through the pooler: ${JSON.stringify(figures)}`);
  for (const [i, r] of results.entries()) {
    assert.ok(r['2xx'] > 0, `process ${i} answered`);
    assert.equal(r.non2xx, 0, `process ${i}:\n${processes[i]!.output().slice(-2000)}`);
    assert.equal(r.errors, 0);
  }
  const [{ n }] = (await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM access_tokens WHERE application_id = (SELECT id FROM applications WHERE client_id = $1)',
    [client.client_id],
  )) as [{ n: number }];
  // at least: the load generator stops counting requests still in flight when its time is up
  assert.ok(n >= 1 + results.reduce((sum, r) => sum + r['2xx'], 0), 'every 200 stored a token');
  for (const p of processes) assert.equal(p.child.exitCode, null, `a process died:\n${p.output()}`);
});
