import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { listAuditEvents, type AuditRow } from '../src/store/audit.js';
import {
  authorize,
  cookieHeader,
  cookiesOf,
  csrfOf,
  exchangeCode,
  makeUser,
  registerApp,
  signIn,
  testApp,
  type RegisteredApp,
  type TestContext,
} from './support/app.js';

let ctx: TestContext;
before(async () => (ctx = await testApp({ ACCESS_TOKEN_TTL: '3600', REFRESH_REUSE_GRACE: '30' })));
after(() => ctx.close());

/** Everything a flow handed out that must never be written to the audit trail. */
const secrets: string[] = [];

const all = () => listAuditEvents(ctx.deps.db, { limit: 1000 });
const names = (rows: AuditRow[]) => rows.map((r) => r.event);

async function deny(client: RegisteredApp, jar: Record<string, string>) {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0]!,
    state: 's',
  });
  const page = await ctx.app.inject({ url: `/oauth/authorize?${query}`, headers: { cookie: cookieHeader(jar) } });
  assert.equal(page.statusCode, 200);
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { cookie: cookieHeader(cookiesOf(page, jar)) },
    payload: { ...Object.fromEntries(query), decision: 'deny', _csrf: csrfOf(page.body) },
  });
  assert.equal(res.statusCode, 302);
  assert.match(res.headers.location as string, /error=access_denied/);
}

const token = (payload: Record<string, string>) => ctx.app.inject({ method: 'POST', url: '/oauth/token', payload });

let alice: { client: RegisteredApp; userId: number };
let startedAt: Date;

test('every event of a flow leaves a row, with client, user and address, and no secret', async () => {
  startedAt = ctx.deps.clock();
  const client = await registerApp(ctx.app);
  secrets.push(client.client_secret);
  const { user, username, password } = await makeUser(ctx.deps, 'alice');
  secrets.push(password);
  const wrong = 'not-the-password-0123456789';
  secrets.push(wrong);

  // sign-in failure, then success
  const form = await ctx.app.inject({ url: '/auth/sign_in' });
  const failed = await ctx.app.inject({
    method: 'POST',
    url: '/auth/sign_in',
    headers: { cookie: cookieHeader(cookiesOf(form)) },
    payload: { username, password: wrong, _csrf: csrfOf(form.body) },
  });
  assert.equal(failed.statusCode, 401);
  const jar = await signIn(ctx.app, username, password);
  secrets.push(jar.doorman_session!);

  // consent denied, then granted; the code exchanged, then replayed
  await deny(client, jar);
  const code = await authorize(ctx.app, client, jar, { scope: 'read' });
  secrets.push(code);
  const issued = await exchangeCode(ctx.app, client, code);
  assert.equal(issued.statusCode, 200);
  const first = issued.json() as { access_token: string; refresh_token: string };
  secrets.push(first.access_token, first.refresh_token);
  assert.equal((await exchangeCode(ctx.app, client, code)).statusCode, 400);

  // a fresh grant (the replay revoked the first), refreshed, then the spent refresh token replayed
  const code2 = await authorize(ctx.app, client, jar, { scope: 'read' });
  secrets.push(code2);
  const second = (await exchangeCode(ctx.app, client, code2)).json() as { access_token: string; refresh_token: string };
  secrets.push(second.access_token, second.refresh_token);
  const refresh = {
    grant_type: 'refresh_token',
    client_id: client.client_id,
    client_secret: client.client_secret,
    refresh_token: second.refresh_token,
  };
  const refreshed = await token(refresh);
  assert.equal(refreshed.statusCode, 200);
  const third = refreshed.json() as { access_token: string; refresh_token: string };
  secrets.push(third.access_token, third.refresh_token);
  ctx.clock.advance(31); // past REFRESH_REUSE_GRACE: reuse revokes the family
  assert.equal((await token(refresh)).statusCode, 400);

  // an app-level token, revoked by its client
  const app = (
    await token({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret })
  ).json() as { access_token: string };
  secrets.push(app.access_token);
  const revoked = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    payload: { client_id: client.client_id, client_secret: client.client_secret, token: app.access_token },
  });
  assert.equal(revoked.statusCode, 200);

  const everything = await all();
  // the app's registration comes first: no user yet
  const registration = everything.at(-1)!;
  assert.deepEqual(
    [registration.event, registration.clientId, registration.address, registration.userId],
    ['app.registered', client.client_id, '127.0.0.1', null],
  );
  const rows = everything.slice(0, -1);
  assert.deepEqual(names(rows).reverse(), [
    'sign_in.failed',
    'sign_in.succeeded',
    'consent.denied',
    'consent.granted',
    'token.issued',
    'code.replayed',
    'consent.granted',
    'token.issued',
    'token.refreshed',
    'refresh_token.replayed',
    'token.issued',
    'token.revoked',
  ]);
  for (const [i, row] of [...rows].reverse().entries()) {
    assert.equal(row.address, '127.0.0.1', `${row.event} has the address`);
    if (!row.event.startsWith('sign_in.'))
      assert.equal(row.clientId, client.client_id, `${row.event} names the client`);
    // the last two events are about the app-level token, which has no user
    assert.equal(row.userId, i < 10 ? user.id : null, `${row.event} names the user`);
    // by name too: the first token.issued comes from the app's first-token transaction, the second from the one-statement redemption
    assert.equal(row.username, i < 10 ? username : null, `${row.event} has the username`);
  }
  const replay = rows.find((r) => r.event === 'code.replayed')!;
  assert.deepEqual(replay.detail, { revoked_tokens: 1 });
  const refreshReplay = rows.find((r) => r.event === 'refresh_token.replayed')!;
  assert.ok((refreshReplay.detail as { revoked_tokens: number }).revoked_tokens >= 1);

  // never a secret, in any column
  const dump = JSON.stringify(await ctx.deps.db.query('SELECT * FROM audit_events'));
  for (const secret of secrets)
    assert.ok(!dump.includes(secret), `a secret leaked into the audit trail: ${secret.slice(0, 4)}…`);
  alice = { client, userId: user.id };
});

test('listAuditEvents filters by user (name or id), client and time, newest first', async () => {
  assert.ok(alice, 'runs after the flow above');
  // another user and another client, a minute later
  ctx.clock.advance(60);
  const later = ctx.deps.clock();
  const other = await registerApp(ctx.app, { client_name: 'Other' });
  const bob = await makeUser(ctx.deps, 'bob');
  const jar = await signIn(ctx.app, bob.username, bob.password);
  const code = await authorize(ctx.app, other, jar);
  assert.equal((await exchangeCode(ctx.app, other, code)).statusCode, 200);

  const byAlice = await listAuditEvents(ctx.deps.db, { username: 'ALICE', limit: 100 });
  assert.ok(byAlice.length >= 10);
  // token events carry only the user id; the filter finds them too
  assert.ok(names(byAlice).includes('token.issued') && names(byAlice).includes('token.refreshed'));
  assert.ok(byAlice.every((r) => r.userId === alice.userId || r.username === 'alice'));

  const byBob = await listAuditEvents(ctx.deps.db, { username: 'bob', limit: 100 });
  assert.deepEqual(names(byBob), ['token.issued', 'consent.granted', 'sign_in.succeeded']);

  const byClient = await listAuditEvents(ctx.deps.db, { clientId: other.client_id, limit: 100 });
  assert.deepEqual(names(byClient), ['token.issued', 'consent.granted', 'app.registered']);

  const since = await listAuditEvents(ctx.deps.db, { since: later, limit: 100 });
  assert.deepEqual(names(since), ['token.issued', 'consent.granted', 'sign_in.succeeded', 'app.registered']);
  const sinceStart = await listAuditEvents(ctx.deps.db, { since: startedAt, limit: 100 });
  assert.equal(sinceStart.length, (await all()).length);

  // newest first; the limit takes the newest
  const times = (await all()).map((r) => r.at.getTime());
  assert.deepEqual(
    times,
    [...times].sort((a, b) => b - a),
  );
  assert.deepEqual(names(await listAuditEvents(ctx.deps.db, { limit: 1 })), ['token.issued']);

  const none = await listAuditEvents(ctx.deps.db, { username: 'alice', clientId: other.client_id, limit: 100 });
  assert.deepEqual(none, []);
});

test('each event is also one structured log line, without secrets', async () => {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = await buildApp({ ...ctx.deps, log });
  try {
    const client = await registerApp(app, { client_name: 'Logged' });
    const res = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
    });
    assert.equal(res.statusCode, 200);
    const audit = lines.filter((l) => l.audit);
    assert.deepEqual(
      audit.map((l) => l.msg),
      ['app.registered', 'token.issued'],
    );
    assert.deepEqual(
      {
        event: (audit[1]!.audit as { event: string }).event,
        clientId: (audit[1]!.audit as { clientId: string }).clientId,
      },
      { event: 'token.issued', clientId: client.client_id },
    );
    const all = JSON.stringify(lines);
    assert.ok(!all.includes(client.client_secret) && !all.includes(res.json().access_token), 'no secret in the log');
  } finally {
    await app.close();
  }
});
