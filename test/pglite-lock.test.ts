// Embedded PGlite: one DATA_DIR belongs to one process, and a stop in the middle of a write
// load (SIGTERM, or SIGKILL) loses nothing that was answered 200. Runs in both passes: it uses
// PGlite whatever database the rest of the suite uses.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
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

const ROOT = fileURLToPath(new URL('..', import.meta.url));
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
  await createUser({ db, clock: () => new Date() }, { username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' });
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
async function writeLoad(p: DoormanProcess, stop: (p: DoormanProcess) => Promise<void>): Promise<{ ok: number; unanswered: number }> {
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

test('a second process on the same DATA_DIR stops with a clear error and a non-zero exit', { timeout: 60_000 }, async () => {
  const first = await start();
  client = await registerAppAt(first.url);
  const port = await freePort();
  const second = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  second.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
  assert.notEqual(code, 0);
  assert.match(stderr, /is in use by another Doorman process \(pid \d+\)/);
  // the first one is untouched and still serves
  assert.equal((await fetch(`${first.url}/health`)).status, 200);
  assert.equal(first.child.exitCode, null);
});

test('SIGTERM in the middle of a write load loses nothing answered 200', { timeout: 60_000 }, async () => {
  const p = running.at(-1)!;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const figures = await writeLoad(p, async (q) => void (exit = await q.stop('SIGTERM')));
  console.log(`pglite SIGTERM figures: ${JSON.stringify({ ...figures, exit })}`);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(figures.ok > 0);
  await assertAllServed(await start());
});

test('SIGKILL in the middle of a write load loses nothing answered 200, and the stale lock is taken over', { timeout: 60_000 }, async () => {
  const p = running.at(-1)!;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const figures = await writeLoad(p, async (q) => void (exit = await q.stop('SIGKILL')));
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
