import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';

/** DATA_DIR is owned by another running process (PGlite has no lock of its own). */
export class DataDirInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(`${dir} is in use by another Doorman process (pid ${pid}); stop it first, or set DATABASE_URL`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes DATA_DIR/doorman.lock, replacing it when the process that wrote it is gone. */
function takeLock(dir: string): () => void {
  const file = join(dir, 'doorman.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) throw new DataDirInUseError(resolve(dir), pid);
      rmSync(file, { force: true }); // stale: its owner died without cleaning up
    }
  }
  throw new Error(`could not lock ${resolve(dir)}`);
}

const on = (target: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
  query: async (sql, params) => (await target.query(sql, params as unknown[])).rows as never[],
  exec: async (sql) => void (await target.exec(sql)),
});

export async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = takeLock(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(join(dataDir, 'pgdata'));
  } catch (err) {
    unlock();
    throw err;
  }
  // PGlite runs one statement at a time on this thread; it queues callers itself,
  // and a transaction holds the queue until it ends, so no extra locking is needed here.
  return {
    kind: 'pglite',
    ...on(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(on(tx))),
    close: async () => {
      try {
        await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}
