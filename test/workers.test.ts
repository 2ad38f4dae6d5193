// WORKERS on the embedded PGlite: one process only, refused with one line; `auto` means one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runsHousekeeping, WORKER_SLOT, workerCount } from '../src/cluster.js';
import { startDoorman } from './support/process.js';

test('WORKERS=2 without DATABASE_URL is refused at start with one clear line', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'doorman-workers-'));
  try {
    await assert.rejects(startDoorman({ DATA_DIR: dataDir, WORKERS: '2' }), (err: Error) => {
      const output = err.message.replace(/^Doorman exited before answering:\n/, '').trim();
      assert.equal(output, 'doorman: WORKERS=2 needs DATABASE_URL: the embedded PGlite serves one process only');
      return true;
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('WORKERS=auto is one per core on Postgres and one on PGlite', () => {
  assert.equal(workerCount({ workers: 'auto', databaseUrl: undefined }), 1);
  assert.ok(workerCount({ workers: 'auto', databaseUrl: 'postgres://x/y' }) >= 1);
  assert.equal(workerCount({ workers: 3, databaseUrl: 'postgres://x/y' }), 3);
});

test('of several workers only the one in slot 0 runs housekeeping; a single process runs it', () => {
  assert.equal(runsHousekeeping({}), true);
  assert.equal(runsHousekeeping({ [WORKER_SLOT]: '0' }), true);
  assert.equal(runsHousekeeping({ [WORKER_SLOT]: '1' }), false);
});
