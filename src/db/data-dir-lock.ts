import { hostname } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { DataDirInUseError } from './database.js';

/**
 * The lock is a directory whose mtime its owner refreshes every few seconds (proper-lockfile):
 * it says nothing about process ids, so a process in another PID namespace, container or host
 * sharing the folder cannot mistake a live owner for a dead one. An owner killed without
 * cleaning up leaves a lock that goes stale after STALE_MS; a starting process waits that long.
 */
const STALE_MS = 10_000;
const LOCK_NAME = 'doorman.lock';

export const lockPath = (dir: string): string => join(dir, LOCK_NAME);

/** Whether a live process holds DATA_DIR (its lock is fresh). */
export function dataDirHeld(dir: string): Promise<boolean> {
  return lockfile.check(dir, { lockfilePath: lockPath(dir), stale: STALE_MS, realpath: false });
}

/** Who holds the lock, as its owner wrote it (for the error message only; never trusted). */
export function lockOwner(dir: string): string {
  try {
    return readFileSync(join(dir, 'doorman.owner'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Takes DATA_DIR's lock, waiting out a stale one; throws DataDirInUseError when a live owner
 * keeps it fresh. Resolves to the function that gives it back.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: lockPath(dir),
      stale: STALE_MS,
      realpath: false,
      // a lock left by a killed owner goes stale within STALE_MS: try for a little longer than that
      retries: { retries: Math.ceil(STALE_MS / 1000) + 2, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'ELOCKED') throw new DataDirInUseError(resolve(dir), lockOwner(dir));
    throw err;
  }
  try {
    writeFileSync(join(dir, 'doorman.owner'), `pid ${process.pid} on ${hostname()}\n`);
  } catch {
    // informational only
  }
  return release;
}
