// A whole flow through a real process logging at debug level: no secret the flow handled
// (client secret, password, session id, CSRF token, code, access token) appears in its log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUser } from '../src/accounts/users.js';
import { migrate } from '../src/db/migrate.js';
import { emptyDatabase } from './support/database.js';
import {
  authorizeAt,
  exchangeAt,
  postForm,
  registerAppAt,
  signInAt,
  startDoorman,
  verifyAt,
  type DoormanProcess,
} from './support/process.js';

const PASSWORD = 'correct horse battery staple';
let database: Awaited<ReturnType<typeof emptyDatabase>>;
let doorman: DoormanProcess;

before(async () => {
  database = await emptyDatabase();
  const db = await database.open();
  await migrate(db);
  await createUser(
    { db, clock: () => new Date() },
    { username: 'alice', email: 'alice@example.com', password: PASSWORD },
  );
  await db.close();
  const where: Record<string, string> = database.url ? { DATABASE_URL: database.url } : { DATA_DIR: database.dataDir! };
  doorman = await startDoorman({ ...where, LOG_LEVEL: 'debug', ACCESS_TOKEN_TTL: '3600' }, 60_000);
});

after(async () => {
  await doorman?.stop('SIGKILL');
  await database?.drop();
});

test('the log of a whole flow holds no secret', { timeout: 60_000 }, async () => {
  const client = await registerAppAt(doorman.url);
  const jar = await signInAt(doorman.url, 'alice', PASSWORD);
  const code = await authorizeAt(doorman.url, client, jar, 'read');
  const res = await exchangeAt(doorman.url, client, code);
  assert.equal(res.status, 200);
  const token = (await res.json()) as { access_token: string; refresh_token: string };
  assert.equal((await verifyAt(doorman.url, token.access_token)).status, 200);
  // a failing request logs its error: still nothing secret
  await postForm(`${doorman.url}/oauth/token`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: 'https://client.example/cb',
    client_id: client.client_id,
    client_secret: client.client_secret,
  });
  await postForm(`${doorman.url}/oauth/revoke`, {
    client_id: client.client_id,
    client_secret: client.client_secret,
    token: token.refresh_token,
  });

  const log = doorman.output();
  assert.match(log, /request completed|incoming request/, 'requests were logged');
  const session = /doorman_session=([^;]+)/.exec(jar.header())?.[1];
  const secrets = {
    client_secret: client.client_secret,
    password: PASSWORD,
    code,
    access_token: token.access_token,
    refresh_token: token.refresh_token,
    session,
  };
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(value, `${name} known`);
    assert.equal(log.includes(value!), false, `${name} appears in the log`);
  }
});
