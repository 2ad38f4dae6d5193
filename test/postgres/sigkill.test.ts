// A process killed with SIGKILL in the middle of a load of token issues: the database stays
// consistent, and a restarted process serves every token that was answered 200 before the kill.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUser } from '../../src/accounts/users.js';
import type { Database } from '../../src/db/database.js';
import { emptyDatabase } from '../support/database.js';
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
} from '../support/process.js';

let database: Awaited<ReturnType<typeof emptyDatabase>>;
let db: Database;
const processes: DoormanProcess[] = [];

before(async () => {
  database = await emptyDatabase();
  processes.push(await startDoorman({ DATABASE_URL: database.url! }));
  db = await database.open();
  await createUser(
    { db, clock: () => new Date() },
    { username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' },
  );
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await db?.close();
  await database?.drop();
});

test('SIGKILL during a load of token issues loses no answered token and leaves no half-written row', {
  timeout: 60_000,
}, async () => {
  const first = processes[0]!;
  const client = await registerAppAt(first.url);
  const jar = await signInAt(first.url, 'alice', 'correct horse battery staple');
  const codes: string[] = [];
  for (let i = 0; i < 80; i++) codes.push(await authorizeAt(first.url, client, jar, 'read'));

  const issued: { kind: 'app' | 'user'; token: string }[] = [];
  let failed = 0;
  let running = true;
  const record = async (kind: 'app' | 'user', send: () => Promise<Response>) => {
    try {
      const res = await send();
      if (res.status === 200)
        issued.push({ kind, token: ((await res.json()) as { access_token: string }).access_token });
      else failed++;
    } catch {
      failed++; // the connection died with the process: no answer, no promise made
    }
  };
  const tokenWorker = async () => {
    while (running) await record('app', () => clientTokenAt(first.url, client));
  };
  const codeWorker = async () => {
    // spread over the load, so exchanges are in flight when the kill comes
    while (running && codes.length) {
      await record('user', () => exchangeAt(first.url, client, codes.shift()!));
      await sleep(25);
    }
  };
  const workers = [...Array.from({ length: 6 }, tokenWorker), codeWorker(), codeWorker()];

  try {
    await sleep(1500);
    first.child.kill('SIGKILL');
    const { signal } = await first.exited;
    assert.equal(signal, 'SIGKILL');
  } finally {
    running = false;
    await Promise.all(workers);
  }
  console.log(
    `sigkill figures: ${JSON.stringify({ answered200: issued.length, userTokens: issued.filter((i) => i.kind === 'user').length, unanswered: failed })}`,
  );
  assert.ok(issued.length > 0, 'the load ran before the kill');

  assert.deepEqual(await halfWritten(db), EMPTY_HALF_WRITTEN);

  const second = await startDoorman({ DATABASE_URL: database.url! });
  processes.push(second);
  for (const { kind, token } of issued) {
    const res = kind === 'user' ? await verifyAt(second.url, token) : await appVerifyAt(second.url, token);
    assert.equal(res.status, 200, `a ${kind} token answered 200 before the kill is served after the restart`);
  }
});
