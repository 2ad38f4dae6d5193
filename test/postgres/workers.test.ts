// WORKERS=2: one port served by two processes under node:cluster; a worker that dies is replaced;
// SIGTERM lets every worker finish what is in flight, then the whole server exits 0.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { emptyDatabase } from '../support/database.js';
import {
  appVerifyAt,
  clientTokenAt,
  registerAppAt,
  sleep,
  startDoorman,
  type DoormanProcess,
} from '../support/process.js';

let database: Awaited<ReturnType<typeof emptyDatabase>>;
let doorman: DoormanProcess;

before(async () => {
  database = await emptyDatabase();
  // info: every request's log line carries the pid of the worker that answered it
  doorman = await startDoorman({ DATABASE_URL: database.url!, WORKERS: '2', LOG_LEVEL: 'info' });
});

after(async () => {
  for (const pid of workersOf(doorman)) process.kill(pid, 'SIGKILL');
  await doorman?.stop('SIGKILL');
  await database?.drop();
});

/** The pids of the primary's child processes: its workers. */
function workersOf(p: DoormanProcess | undefined): number[] {
  if (!p?.child.pid || p.child.exitCode !== null) return [];
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(p.child.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter(Boolean);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** The pids that logged an answered request since `from` (an offset in the output). */
function answeringPids(p: DoormanProcess, from: number): Set<number> {
  const pids = new Set<number>();
  for (const line of p.output().slice(from).split('\n')) {
    if (!line.includes('"msg":"request completed"')) continue;
    const pid = (JSON.parse(line) as { pid?: number }).pid;
    if (pid) pids.add(pid);
  }
  return pids;
}

/**
 * GET on a new connection each time: the primary hands out connections, not requests, so a
 * kept-alive connection that went to one worker would bring every later request to it too.
 */
const statusOnNewConnection = (url: string) =>
  new Promise<number | undefined>((resolve, reject) =>
    get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject),
  );

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check(); await sleep(100))
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
}

test('two workers serve the one port', async () => {
  await until('two workers run', () => workersOf(doorman).length === 2);
  const from = doorman.output().length;
  // a worker that is still starting takes no connections yet: send until both have answered
  for (let i = 0; i < 10 && answeringPids(doorman, from).size < 2; i++) {
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => statusOnNewConnection(`${doorman.url}/health`)),
    );
    assert.deepEqual(
      statuses,
      statuses.map(() => 200),
    );
    await until('both answered', () => answeringPids(doorman, from).size === 2, 2000).catch(() => {});
  }
  assert.deepEqual(
    [...answeringPids(doorman, from)].sort(),
    workersOf(doorman).sort(),
    'each worker answered some requests',
  );
});

test('a killed worker is replaced and the replacement serves', async () => {
  await until('two workers run', () => workersOf(doorman).length === 2);
  const [victim, survivor] = workersOf(doorman) as [number, number];
  process.kill(victim, 'SIGKILL');
  await until('a replacement runs', () => {
    const now = workersOf(doorman);
    return now.length === 2 && !now.includes(victim) && now.includes(survivor);
  });
  const replacement = workersOf(doorman).find((pid) => pid !== survivor)!;
  // the replacement migrates and listens before it takes connections
  const from = doorman.output().length;
  await until('the replacement answers', () => answeringPids(doorman, from).has(replacement), 20_000).catch(() => {});
  for (let i = 0; i < 10 && !answeringPids(doorman, from).has(replacement); i++) {
    await Promise.all(
      Array.from({ length: 20 }, async () => assert.equal(await statusOnNewConnection(`${doorman.url}/health`), 200)),
    );
  }
  assert.ok(
    answeringPids(doorman, from).has(replacement),
    `the replacement answered:\n${doorman.output().slice(-3000)}`,
  );
  assert.equal(doorman.child.exitCode, null);
});

/** Whether a new TCP connection to the port is accepted. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

test('SIGTERM under load: every worker completes its in-flight requests, then the server exits 0', {
  timeout: 60_000,
}, async () => {
  await until('two workers run', () => workersOf(doorman).length === 2);
  const workerPids = workersOf(doorman);
  const client = await registerAppAt(doorman.url);
  const answers: { status: number; token?: string }[] = [];
  let running = true;
  const load = async () => {
    while (running) {
      try {
        const res = await clientTokenAt(doorman.url, client, 20_000);
        answers.push({
          status: res.status,
          token: res.status === 200 ? ((await res.json()) as { access_token: string }).access_token : undefined,
        });
      } catch {
        answers.push({ status: 0 });
      }
    }
  };
  const from = doorman.output().length;
  const loads = Array.from({ length: 8 }, load);
  await sleep(1000);
  assert.ok(answers.length > 0, 'the load ran');

  // hold every token insert, so the requests now in flight in both workers stay in flight past the signal
  const holder = new pg.Client({ connectionString: database.url! });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE access_tokens IN EXCLUSIVE MODE');
    await sleep(1000);
    const inFlightFrom = answers.length;
    running = false;
    doorman.child.kill('SIGTERM');
    await sleep(700);
    assert.equal(doorman.child.exitCode, null, 'still waiting for the requests in flight');
    const refused = !(await accepts(doorman.port));
    await holder.query('COMMIT');
    await Promise.all(loads);
    const exit = await Promise.race([doorman.exited, sleep(14_000).then(() => 'timed out' as const)]);

    const inFlight = answers.slice(inFlightFrom);
    assert.ok(refused, 'a new connection is refused once the signal arrived');
    assert.ok(inFlight.length >= 8, 'every load loop had a request in flight at the signal');
    assert.deepEqual(
      inFlight.map((a) => a.status),
      inFlight.map(() => 200),
      'in-flight requests complete with 200',
    );
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.deepEqual([...answeringPids(doorman, from)].sort(), workerPids.sort(), 'both workers carried the load');
    for (const pid of workerPids) assert.throws(() => process.kill(pid, 0), 'the worker has exited');
    // what was answered 200 was stored
    const again = await startDoorman({ DATABASE_URL: database.url! });
    try {
      for (const a of inFlight) assert.equal((await appVerifyAt(again.url, a.token!)).status, 200);
    } finally {
      await again.stop('SIGKILL');
    }
  } finally {
    await holder.end().catch(() => {});
  }
});
