// The network to Postgres goes silent under load (no reset, no answer) and comes back: every
// request is answered 503 within the pool's query timeout, never 500, never left hanging; service
// returns without a restart, and no half-written rows are left.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUser } from '../../src/accounts/users.js';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { emptyDatabase, serverUrl } from '../support/database.js';
import { FaultProxy, hostAndPort } from '../support/fault-proxy.js';
import {
  appVerifyAt,
  authorizeAt,
  clientTokenAt,
  EMPTY_HALF_WRITTEN,
  exchangeAt,
  halfWritten,
  registerAppAt,
  signInAt,
  sleep,
  startDoorman,
  verifyAt,
  type DoormanProcess,
  type HttpApp,
} from '../support/process.js';

/**
 * The pool's connection timeout and query timeout (src/db/postgres.ts): a request on a connection
 * that went silent waits at most the query timeout; one waiting for a connection, the connection
 * timeout. Plus room for a busy machine.
 */
const CONNECT_TIMEOUT_MS = 3000;
const QUERY_TIMEOUT_MS = 5000;
const REQUEST_BOUND_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + 2000;
/** Longer than the query timeout, so the bound is reached while the partition lasts. */
const OUTAGE_MS = QUERY_TIMEOUT_MS + 3000;
const RECOVERY_BOUND_MS = 10_000;

let database: Awaited<ReturnType<typeof emptyDatabase>>;
let db: Database;
let proxy: FaultProxy;
let doorman: DoormanProcess;

before(async () => {
  database = await emptyDatabase();
  db = await database.open();
  await migrate(db);
  await createUser({ db, clock: () => new Date() }, { username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' });
  proxy = new FaultProxy(...hostAndPort(serverUrl!));
  await proxy.open();
  const url = new URL(database.url!);
  url.host = `127.0.0.1:${proxy.port}`;
  doorman = await startDoorman({ DATABASE_URL: url.href });
});

after(async () => {
  await doorman?.stop('SIGKILL');
  await proxy?.close();
  await db?.close();
  await database?.drop();
});

interface Outcome {
  kind: 'client_credentials' | 'authorization_code';
  start: number;
  ms: number;
  status: number;
  body: unknown;
}

async function timed(kind: Outcome['kind'], send: () => Promise<Response>): Promise<Outcome> {
  const start = Date.now();
  try {
    const res = await send();
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* kept as text: the assertion below names it */
    }
    return { kind, start, ms: Date.now() - start, status: res.status, body };
  } catch (err) {
    // a request that hung past the bound (aborted) or a dropped connection
    return { kind, start, ms: Date.now() - start, status: 0, body: String(err) };
  }
}

test('Postgres unreachable without a word under load: bounded 503s, /health 503, recovery, no half-written rows', { timeout: 60_000 }, async () => {
  const client: HttpApp = await registerAppAt(doorman.url);
  const jar = await signInAt(doorman.url, 'alice', 'correct horse battery staple');
  const codes: string[] = [];
  for (let i = 0; i < 20; i++) codes.push(await authorizeAt(doorman.url, client, jar, 'read'));

  const outcomes: Outcome[] = [];
  let running = true;
  const tokenWorker = async () => {
    while (running) outcomes.push(await timed('client_credentials', () => clientTokenAt(doorman.url, client, REQUEST_BOUND_MS)));
  };
  const codeWorker = async () => {
    while (running && codes.length) {
      const code = codes.shift()!;
      const outcome = await timed('authorization_code', () => exchangeAt(doorman.url, client, code, REQUEST_BOUND_MS));
      outcomes.push(outcome);
      await sleep(300);
    }
  };
  const workers = [...Array.from({ length: 4 }, tokenWorker), codeWorker()];

  let cutAt = 0, restoredAt = 0;
  let recoveredAt: number | undefined;
  let healthDown: { status: number; body: unknown } | undefined;
  try {
    await sleep(1500);
    cutAt = Date.now();
    proxy.partition();
    await sleep(800);
    healthDown = await fetch(`${doorman.url}/health`, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) }).then(
      async (r) => ({ status: r.status, body: await r.json() }),
      (err) => ({ status: 0, body: String(err) }),
    );
    await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));
    restoredAt = Date.now();
    proxy.heal();
    // recovered: the first request started after the restore that answered 200
    while (Date.now() - restoredAt < RECOVERY_BOUND_MS && recoveredAt === undefined) {
      await sleep(50);
      recoveredAt = outcomes.find((o) => o.start >= restoredAt && o.status === 200)?.start;
    }
    await sleep(1500);
  } finally {
    running = false;
    await Promise.all(workers);
  }

  const during = outcomes.filter((o) => o.start >= cutAt && o.start < restoredAt);
  const count = (status: number) => outcomes.filter((o) => o.status === status).length;
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  const recoveryMs = recoveredAt === undefined ? undefined : recoveredAt - restoredAt;
  const report = {
    requests: outcomes.length,
    duringFault: during.length,
    duringFault503: during.filter((o) => o.status === 503).length,
    status200: count(200),
    status503: count(503),
    status500: outcomes.filter((o) => o.status >= 500 && o.status !== 503).length,
    failedOrHung: count(0),
    slowestMs: slowest,
    recoveryMs,
    codeExchanges: outcomes.filter((o) => o.kind === 'authorization_code').length,
  };
  console.log(`database partition figures: ${JSON.stringify(report)}`);

  assert.equal(doorman.child.exitCode, null, `the process stays up:\n${doorman.output()}`);
  assert.equal(healthDown?.status, 503);
  assert.equal((healthDown.body as { status: string }).status, 'unavailable');
  assert.ok(during.length > 0 && report.duringFault503 > 0, 'requests were made and refused during the fault');
  for (const o of outcomes) {
    assert.ok(o.status === 200 || o.status === 503, `only 200 or 503, got ${o.status}: ${JSON.stringify(o.body)}`);
    if (o.status === 503) assert.equal((o.body as { error?: string }).error, 'temporarily_unavailable');
  }
  assert.ok(slowest <= REQUEST_BOUND_MS, `no request took longer than ${REQUEST_BOUND_MS} ms (slowest ${slowest} ms)`);
  assert.ok(recoveryMs !== undefined, `served again within ${RECOVERY_BOUND_MS} ms of the restore`);
  // once recovered, it stays recovered
  const afterRecovery = outcomes.filter((o) => o.start >= recoveredAt! + 500);
  assert.ok(afterRecovery.length > 0);
  assert.deepEqual(afterRecovery.filter((o) => o.status !== 200), []);
  assert.equal((await fetch(`${doorman.url}/health`)).status, 200);

  // nothing half-written, and every token answered 200 still works
  assert.deepEqual(await halfWritten(db), EMPTY_HALF_WRITTEN);
  for (const o of outcomes.filter((x) => x.status === 200)) {
    const token = (o.body as { access_token: string }).access_token;
    const check = o.kind === 'authorization_code' ? await verifyAt(doorman.url, token) : await appVerifyAt(doorman.url, token);
    assert.equal(check.status, 200, `${o.kind} token answered 200 is served`);
  }
});
