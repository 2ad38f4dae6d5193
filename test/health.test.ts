// SPEC §1: GET /health answers 200 while the database answers and 503 when it does not; a real
// server stops on SIGTERM with exit code 0 and, on PGlite, gives DATA_DIR back.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { testApp } from './support/app.js';
import { emptyDatabase } from './support/database.js';
import { startDoorman } from './support/process.js';

test('/health is 200 with the database, 503 in the SPEC error format without it', async () => {
  const ctx = await testApp();
  try {
    const up = await ctx.app.inject({ method: 'GET', url: '/health' });
    assert.equal(up.statusCode, 200);
    assert.deepEqual(up.json(), { status: 'ok' });

    await ctx.database.db.close(); // the database is gone
    const down = await ctx.app.inject({ method: 'GET', url: '/health' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().error, 'temporarily_unavailable');
    assert.doesNotMatch(down.body, /\bat .+:\d+:\d+/, 'no stack trace');
  } finally {
    await ctx.close();
  }
});

test('a running server exits 0 on SIGTERM', { timeout: 90_000 }, async () => {
  const empty = await emptyDatabase();
  try {
    // ISSUER left to its default: the start-up line names the issuer clients must use
    const doorman = await startDoorman(
      { ...(empty.url ? { DATABASE_URL: empty.url } : { DATA_DIR: empty.dataDir! }), ISSUER: '', LOG_LEVEL: 'info' },
      60_000,
    );
    try {
      const health = await fetch(`${doorman.url}/health`);
      assert.equal(health.status, 200);
      assert.ok(
        doorman.output().includes(`clients must use the issuer http://127.0.0.1:${doorman.port}"`),
        doorman.output(),
      );
      assert.deepEqual(await doorman.stop('SIGTERM'), { code: 0, signal: null }, doorman.output());
    } finally {
      await doorman.stop('SIGKILL'); // a failed check above must not leave the server running
    }
    if (empty.dataDir) {
      assert.equal(existsSync(join(empty.dataDir, 'doorman.lock')), false, 'the lock is removed');
      assert.equal(existsSync(join(empty.dataDir, '.s.PGSQL.5432')), false, 'the socket offered to the CLI is removed');
    }
  } finally {
    await empty.drop();
  }
});
