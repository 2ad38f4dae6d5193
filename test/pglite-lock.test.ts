// Embedded PGlite: one DATA_DIR belongs to one process, and a stop in the middle of a write
// load (SIGTERM, or SIGKILL) loses nothing that was answered 200. It uses PGlite whatever database
// the rest of the suite uses, so test/run.mjs runs it in the PGlite pass only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createUser } from '../src/accounts/users.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import {
  appVerifyAt,
  authorizeAt,
  clientTokenAt,
  EMPTY_HALF_WRITTEN,
  exchangeAt,
  freePort,
  halfWritten,
  registerAppAt,
  signInAt,
  sleep,
  startDoorman,
  verifyAt,
  type DoormanProcess,
  type HttpApp,
} from './support/process.js';
import { nodeArgs, ROOT } from './support/paths.js';

let dataDir: string;
const running: DoormanProcess[] = [];
const answered: { kind: 'app' | 'user'; token: string }[] = [];
let client: HttpApp;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'doorman-pglite-lock-'));
  const template = process.env.DOORMAN_PGLITE_TEMPLATE;
  if (template) cpSync(template, dataDir, { recursive: true });
  const db = await openPglite(dataDir);
  await migrate(db);
  await createUser(
    { db, clock: () => new Date() },
    { username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' },
  );
  await db.close();
});

after(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<DoormanProcess> {
  const p = await startDoorman({ DATA_DIR: dataDir }, 60_000);
  running.push(p);
  return p;
}

/** Token issues (client_credentials, and code exchanges) until `stop` resolves; records every 200. */
async function writeLoad(
  p: DoormanProcess,
  stop: (p: DoormanProcess) => Promise<void>,
): Promise<{ ok: number; unanswered: number }> {
  const jar = await signInAt(p.url, 'alice', 'correct horse battery staple');
  const codes: string[] = [];
  for (let i = 0; i < 20; i++) codes.push(await authorizeAt(p.url, client, jar, 'read'));
  let going = true;
  let ok = 0;
  let unanswered = 0;
  const record = async (kind: 'app' | 'user', send: () => Promise<Response>) => {
    try {
      const res = await send();
      if (res.status === 200) {
        answered.push({ kind, token: ((await res.json()) as { access_token: string }).access_token });
        ok++;
      } else unanswered++;
    } catch {
      unanswered++; // no answer: no promise made
    }
  };
  const workers = [
    ...Array.from({ length: 4 }, async () => {
      while (going) await record('app', () => clientTokenAt(p.url, client));
    }),
    (async () => {
      while (going && codes.length) {
        await record('user', () => exchangeAt(p.url, client, codes.shift()!));
        await sleep(20);
      }
    })(),
  ];
  try {
    await sleep(1000);
    await stop(p);
  } finally {
    going = false;
    await Promise.all(workers);
  }
  return { ok, unanswered };
}

async function assertAllServed(p: DoormanProcess): Promise<void> {
  for (const { kind, token } of answered) {
    const res = kind === 'user' ? await verifyAt(p.url, token) : await appVerifyAt(p.url, token);
    assert.equal(res.status, 200, `a ${kind} token answered 200 before the stop is still served`);
  }
}

/** Runs a command to its end; its exit code and what it wrote. */
function runToEnd(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(stdin);
  // a server that should have refused but runs is stopped, so that the test fails instead of hanging
  const deadline = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    }),
  );
}

// Each refused process tries the lock for a while before it gives up (a killed owner's lock goes
// stale in that time), so the two refusals are awaited side by side.
describe('a live owner keeps DATA_DIR', { concurrency: 2 }, () => {
  before(async () => {
    client = await registerAppAt((await start()).url);
  });

  test('a second process on the same DATA_DIR stops with a clear error and a non-zero exit', {
    timeout: 60_000,
  }, async () => {
    const first = running.at(-1)!;
    const port = await freePort();
    const second = spawn(process.execPath, nodeArgs('src/main.ts'), {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    second.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
    assert.notEqual(code, 0);
    assert.match(stderr, /is in use by another Doorman process \(pid \d+ on /);
    // the first one is untouched and still serves
    assert.equal((await fetch(`${first.url}/health`)).status, 200);
    assert.equal(first.child.exitCode, null);
  });

  test('a server in another PID namespace (there it is PID 1) cannot take the folder while its owner lives', {
    timeout: 90_000,
  }, async () => {
    const first = running.at(-1)!;
    const port = await freePort();
    // unshare is util-linux's; as root it gives the child a PID namespace of its own, as a container does
    const other = await runToEnd(
      'unshare',
      ['-pf', '--mount-proc', '--kill-child', process.execPath, ...nodeArgs('src/main.ts')],
      {
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
    );
    assert.notEqual(other.code, 0, `the second server started: ${other.stdout}`);
    assert.match(other.stderr, /is in use by another Doorman process/);
    assert.equal((await fetch(`${first.url}/health`)).status, 200);
    assert.equal(first.child.exitCode, null);
    // the lock is still there and still the first server's: a CLI command goes through it
    const list = await runToEnd(process.execPath, [...nodeArgs('src/cli/main.ts'), 'users:list'], {
      DATA_DIR: dataDir,
    });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { username: string }[]).map((u) => u.username),
      ['alice'],
    );
  });
});

test('the CLI works beside the running server, through the socket the server offers in DATA_DIR', {
  timeout: 90_000,
}, async () => {
  const p = running.at(-1)!;
  const cli = (args: string[], stdin?: string) =>
    runToEnd(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], { DATA_DIR: dataDir }, stdin);
  const made = await cli(
    ['apps:create', '--name', 'Beside the server', '--redirect-uri', 'https://client.example/cb', '--scopes', 'read'],
    '',
  );
  assert.equal(made.code, 0, made.stderr);
  const app = JSON.parse(made.stdout) as HttpApp;
  // the server sees at once what the CLI wrote, and serves requests between CLI commands
  const token = await clientTokenAt(p.url, app);
  assert.equal(token.status, 200);
  const created = await cli(
    ['users:create', '--username', 'bob', '--email', 'bob@example.com'],
    'another correct horse battery\n',
  );
  assert.equal(created.code, 0, created.stderr);
  assert.equal(await signInAt(p.url, 'bob', 'another correct horse battery').then(() => 'signed in'), 'signed in');
  const audit = await cli(['audit:list', '--client-id', app.client_id]);
  assert.equal(audit.code, 0, audit.stderr);
  assert.ok((JSON.parse(audit.stdout) as { event: string }[]).some((e) => e.event === 'token.issued'));
  assert.equal((await fetch(`${p.url}/health`)).status, 200);

  // a client that vanishes in the middle of a transaction: the server goes on, and its writes are undone
  const gone = new pg.Client({ host: dataDir, user: 'postgres', database: 'postgres' });
  await gone.connect();
  gone.on('error', () => {});
  await gone.query('BEGIN');
  await gone.query("DELETE FROM users WHERE username = 'bob'");
  (gone as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  assert.equal(await signInAt(p.url, 'bob', 'another correct horse battery').then(() => 'signed in'), 'signed in');
});

test('SIGTERM in the middle of a write load loses nothing answered 200', { timeout: 60_000 }, async () => {
  const p = running.at(-1)!;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const figures = await writeLoad(p, async (q) => {
    exit = await q.stop('SIGTERM');
  });
  console.log(`pglite SIGTERM figures: ${JSON.stringify({ ...figures, exit })}`);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(figures.ok > 0);
  await assertAllServed(await start());
});

test('SIGKILL in the middle of a write load loses nothing answered 200, and the stale lock is taken over', {
  timeout: 60_000,
}, async () => {
  const p = running.at(-1)!;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const figures = await writeLoad(p, async (q) => {
    exit = await q.stop('SIGKILL');
  });
  console.log(`pglite SIGKILL figures: ${JSON.stringify({ ...figures, exit, tokensChecked: answered.length })}`);
  assert.equal(exit?.signal, 'SIGKILL');
  assert.ok(figures.ok > 0);
  const restarted = await start();
  await assertAllServed(restarted);
  await restarted.stop('SIGTERM');

  const db = await openPglite(dataDir);
  try {
    assert.deepEqual(await halfWritten(db), EMPTY_HALF_WRITTEN);
  } finally {
    await db.close();
  }
});
