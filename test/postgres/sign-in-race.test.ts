// Racing sign-in guesses for one account: the failure limit holds however many arrive at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieHeader, cookiesOf, csrfOf, makeUser, testApp } from '../support/app.js';

const LIMIT = 5;
const RACERS = 40;

test(`${RACERS} concurrent wrong passwords for one account: at most RATE_LIMIT_SIGN_IN are checked, the rest 429`, async () => {
  const ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_SIGN_IN: String(LIMIT) });
  try {
    await makeUser(ctx.deps, 'alice', 'alice-password');
    const form = await ctx.app.inject({ url: '/auth/sign_in' });
    const jar = cookiesOf(form);
    const csrf = csrfOf(form.body);
    const answers = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        ctx.app.inject({
          method: 'POST',
          url: '/auth/sign_in',
          headers: { cookie: cookieHeader(jar) },
          payload: { username: 'alice', password: `guess-${i}`, _csrf: csrf },
        }),
      ),
    );
    const statuses = answers.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 401).length, LIMIT, `statuses: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 429).length, RACERS - LIMIT);
    // every 401 is a password checked and audited: no more than the limit were
    const [row] = await ctx.deps.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE event = 'sign_in.failed'`,
    );
    assert.equal(row!.n, LIMIT);
  } finally {
    await ctx.close();
  }
});
