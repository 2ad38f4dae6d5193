// Password hashing: its cost, its memory bound, and the upgrade of older hashes at sign-in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DECOY_HASH, hashPassword, verifyPassword } from '../src/accounts/passwords.js';
import { createUser } from '../src/accounts/users.js';
import { makeUser, signIn, testApp, type TestContext } from './support/app.js';

let ctx: TestContext;
before(async () => (ctx = await testApp()));
after(() => ctx.close());

const storedHash = async (username: string) =>
  (await ctx.deps.db.query<{ h: string }>(`SELECT password_hash AS h FROM users WHERE username = $1`, [username]))[0]!
    .h;

test('new hashes are scrypt N=2^15, r=8, p=3 (OWASP), and carry their parameters', async () => {
  const hash = await hashPassword('correct horse battery staple');
  assert.match(hash, /^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.equal(await verifyPassword('correct horse battery staple', hash), true);
  assert.equal(await verifyPassword('correct horse battery stapl', hash), false);
});

test('the decoy hash for unknown user names matches no password and costs a whole scrypt to check', async () => {
  assert.match(DECOY_HASH, /^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  const hash = await hashPassword('correct horse battery staple');
  // CPU time (scrypt's threads included), not wall time: steady on a busy machine
  const cpuOf = async (stored: string) => {
    const start = process.cpuUsage();
    const ok = await verifyPassword('correct horse battery staple', stored);
    const used = process.cpuUsage(start);
    return { ok, micros: used.user + used.system };
  };
  const real = await cpuOf(hash);
  const decoy = await cpuOf(DECOY_HASH);
  assert.equal(real.ok, true);
  assert.equal(decoy.ok, false);
  assert.ok(decoy.micros > real.micros / 2, `decoy ${decoy.micros} µs against ${real.micros} µs`);
});

test('a stored hash asking for more memory than the bound is refused, not computed', async () => {
  const hash = await hashPassword('correct horse battery staple');
  for (const [n, r, p] of [
    [2 ** 24, 8, 1],
    [2 ** 15, 1024, 1],
    [2 ** 15, 8, 1000],
    [3, 8, 1],
    [0, 8, 1],
  ]) {
    const tampered = hash.replace(/^scrypt\$\d+\$\d+\$\d+/, `scrypt$${n}$${r}$${p}`);
    assert.equal(await verifyPassword('correct horse battery staple', tampered), false, `${n} ${r} ${p}`);
  }
});

test('an older hash is upgraded at the next successful sign-in, and not at a failed one', async () => {
  const { user } = await makeUser(ctx.deps, 'olga', 'olga-password');
  const old = await hashPassword('olga-password', { N: 2 ** 14, r: 8, p: 1 });
  await ctx.deps.db.query(`UPDATE users SET password_hash = $1 WHERE id = $2`, [old, user.id]);
  await assert.rejects(signIn(ctx.app, 'olga', 'wrong-password'));
  assert.equal(await storedHash('olga'), old, 'a failed sign-in changes nothing');
  await signIn(ctx.app, 'olga', 'olga-password');
  const upgraded = await storedHash('olga');
  assert.match(upgraded, /^scrypt\$32768\$8\$3\$/);
  assert.equal(await verifyPassword('olga-password', upgraded), true);
  await signIn(ctx.app, 'olga', 'olga-password'); // the new hash signs in
});

test('a password under 8 characters is refused (NIST SP 800-63B); 8 are enough', async () => {
  await assert.rejects(
    createUser(ctx.deps, { username: 'short', email: 'short@example.com', password: 'seven77' }),
    /at least 8 characters/,
  );
  await assert.rejects(
    createUser(ctx.deps, { username: 'short', email: 'short@example.com', password: '☃☃☃☃☃☃☃' }),
    /at least 8 characters/,
  );
  await createUser(ctx.deps, { username: 'eight', email: 'eight@example.com', password: 'eight888' });
});
