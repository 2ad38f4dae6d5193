// One scenario for a database that fails under load, with the fault as a parameter: Postgres stops
// (connections refused) or the network to it goes silent (a partition). Either way every request is
// answered 200 or 503 within a bound, /health says 503, service returns without a restart, and no
// half-written rows are left.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUser } from '../../src/accounts/users.js';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { emptyDatabase, serverUrl } from './database.js';
import { FaultProxy, hostAndPort } from './fault-proxy.js';
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
} from './process.js';

/** The pool's connection timeout (src/db/postgres.ts). */
const CONNECT_TIMEOUT_MS = 3000;
/** The pool's query timeout: what a request on a connection that went silent waits at most. */
const QUERY_TIMEOUT_MS = 5000;
const RECOVERY_BOUND_MS = 10_000;

export interface DatabaseFault {
  /** Names the test and the figures line. */
  title: string;
  label: string;
  /** The longest a request may take while the fault lasts, with room for a busy machine. */
  requestBoundMs: number;
  /** How long the fault lasts. */
  outageMs: number;
  codes: number;
  tokenWorkers: number;
  /** Pause between code exchanges. */
  codePauseMs: number;
  begin(proxy: FaultProxy): Promise<void> | void;
  end(proxy: FaultProxy): Promise<void> | void;
}

/** Postgres stops: connections are refused at once, so answers are quick 503s. */
export const outage: DatabaseFault = {
  title: 'Postgres stops under load: quick 503s, /health 503, recovery without restart, no half-written rows',
  label: 'database outage',
  requestBoundMs: CONNECT_TIMEOUT_MS + 3000,
  outageMs: 3000,
  codes: 40,
  tokenWorkers: 6,
  codePauseMs: 120,
  begin: (proxy) => proxy.cut(),
  end: (proxy) => proxy.open(),
};

/** The network goes silent (no reset, no answer): answers come within the query timeout. */
export const partition: DatabaseFault = {
  title: 'Postgres unreachable without a word under load: bounded 503s, /health 503, recovery, no half-written rows',
  label: 'database partition',
  requestBoundMs: CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + 2000,
  // longer than the query timeout, so the bound is reached while the partition lasts
  outageMs: QUERY_TIMEOUT_MS + 3000,
  codes: 20,
  tokenWorkers: 4,
  codePauseMs: 300,
  begin: (proxy) => proxy.partition(),
  end: (proxy) => proxy.heal(),
};

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

/** Registers the scenario's hooks and its one test in the calling file. */
export function databaseFaultScenario(fault: DatabaseFault): void {
  let database: Awaited<ReturnType<typeof emptyDatabase>>;
  let db: Database;
  let proxy: FaultProxy;
  let doorman: DoormanProcess;

  before(async () => {
    database = await emptyDatabase();
    db = await database.open();
    await migrate(db);
    await createUser(
      { db, clock: () => new Date() },
      { username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' },
    );
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

  test(fault.title, { timeout: 60_000 }, async () => {
    const bound = fault.requestBoundMs;
    const client: HttpApp = await registerAppAt(doorman.url);
    const jar = await signInAt(doorman.url, 'alice', 'correct horse battery staple');
    const codes: string[] = [];
    for (let i = 0; i < fault.codes; i++) codes.push(await authorizeAt(doorman.url, client, jar, 'read'));

    const outcomes: Outcome[] = [];
    let running = true;
    const tokenWorker = async () => {
      while (running) outcomes.push(await timed('client_credentials', () => clientTokenAt(doorman.url, client, bound)));
    };
    const codeWorker = async () => {
      while (running && codes.length) {
        const code = codes.shift()!;
        outcomes.push(await timed('authorization_code', () => exchangeAt(doorman.url, client, code, bound)));
        await sleep(fault.codePauseMs);
      }
    };
    const workers = [...Array.from({ length: fault.tokenWorkers }, tokenWorker), codeWorker()];

    let cutAt = 0;
    let restoredAt = 0;
    let recoveredAt: number | undefined;
    let healthDown: { status: number; body: unknown } | undefined;
    try {
      await sleep(1500);
      cutAt = Date.now();
      await fault.begin(proxy);
      await sleep(800);
      healthDown = await fetch(`${doorman.url}/health`, { signal: AbortSignal.timeout(bound) }).then(
        async (r) => ({ status: r.status, body: await r.json() }),
        (err) => ({ status: 0, body: String(err) }),
      );
      await sleep(Math.max(0, cutAt + fault.outageMs - Date.now()));
      restoredAt = Date.now();
      await fault.end(proxy);
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
    console.log(`${fault.label} figures: ${JSON.stringify(report)}`);

    assert.equal(doorman.child.exitCode, null, `the process stays up:\n${doorman.output()}`);
    assert.equal(healthDown?.status, 503);
    assert.equal((healthDown.body as { status: string }).status, 'unavailable');
    assert.ok(during.length > 0 && report.duringFault503 > 0, 'requests were made and refused during the fault');
    for (const o of outcomes) {
      assert.ok(o.status === 200 || o.status === 503, `only 200 or 503, got ${o.status}: ${JSON.stringify(o.body)}`);
      if (o.status === 503) assert.equal((o.body as { error?: string }).error, 'temporarily_unavailable');
    }
    assert.ok(slowest <= bound, `no request took longer than ${bound} ms (slowest ${slowest} ms)`);
    assert.ok(recoveryMs !== undefined, `served again within ${RECOVERY_BOUND_MS} ms of the restore`);
    // once recovered, it stays recovered
    const afterRecovery = outcomes.filter((o) => o.start >= recoveredAt! + 500);
    assert.ok(afterRecovery.length > 0);
    assert.deepEqual(
      afterRecovery.filter((o) => o.status !== 200),
      [],
    );
    assert.equal((await fetch(`${doorman.url}/health`)).status, 200);

    // nothing half-written, and every token answered 200 still works
    assert.deepEqual(await halfWritten(db), EMPTY_HALF_WRITTEN);
    for (const o of outcomes.filter((x) => x.status === 200)) {
      const token = (o.body as { access_token: string }).access_token;
      const check =
        o.kind === 'authorization_code' ? await verifyAt(doorman.url, token) : await appVerifyAt(doorman.url, token);
      assert.equal(check.status, 200, `${o.kind} token answered 200 is served`);
    }
  });
}
