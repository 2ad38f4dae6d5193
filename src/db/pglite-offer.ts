import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { protocol, type PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The socket's file name is what libpq and pg look for in a socket directory (port 5432); open.ts looks for it too. */
const SOCKET_NAME = '.s.PGSQL.5432';

/** A connection that sent nothing for this long is taken to be gone, and the server resumes. */
const IDLE_MS = 5000;
const TERMINATE = 0x58; // 'X', the message a client sends as it disconnects

export interface Offer {
  stop(): Promise<void>;
}

/**
 * Offers an open PGlite to local processes (the CLI beside a running server) on a Unix socket
 * in dataDir, with PGlite's own socket server. PGlite is one session: a client's statements
 * must not interleave with the server's own (a transaction of either would take in the other's).
 * So a connected client holds PGlite's transaction lock from its first message to its last, and
 * the server's requests wait meanwhile; the CLI's commands are short. One client at a time.
 */
export async function offerPglite(pglite: PGlite, dataDir: string): Promise<Offer> {
  const path = join(dataDir, SOCKET_NAME);
  rmSync(path, { force: true }); // left by an owner that was killed; the data-folder lock is ours
  let held: Promise<void> | undefined;
  let release: (() => void) | undefined;
  let idle: NodeJS.Timeout | undefined;
  // Not pglite.exec(): that waits for the transaction lock, which the client's turn holds.
  const rollback = () =>
    pglite._runExclusiveQuery(() => pglite.execProtocolStream(protocol.serialize.query('ROLLBACK')));
  const letGo = () => {
    clearTimeout(idle);
    release?.();
    held = release = undefined;
  };
  const hold = () =>
    (held ??= new Promise<void>((acquired) => {
      void pglite._runExclusiveTransaction(
        () =>
          new Promise<void>((done) => {
            release = done;
            acquired();
          }),
      );
    }));
  // What the socket server calls on the database: each message runs once this client holds PGlite.
  const db = {
    waitReady: pglite.waitReady,
    isInTransaction: () => pglite.isInTransaction(),
    exec: () => rollback(), // the socket server runs only ROLLBACK, for a client gone mid-transaction
    runExclusive: async <T>(fn: () => Promise<T>): Promise<T> => {
      await hold();
      clearTimeout(idle);
      try {
        return await pglite._runExclusiveQuery(fn);
      } finally {
        // after a goodbye (held is gone) no timer; a timer never ends a later client's turn
        const turn = held;
        if (turn) {
          clearTimeout(idle);
          idle = setTimeout(() => {
            if (held !== turn) return;
            // a client that vanished mid-transaction leaves nothing open behind it
            void (pglite.isInTransaction() ? rollback() : Promise.resolve()).finally(() => held === turn && letGo());
          }, IDLE_MS);
        }
      }
    },
    execProtocolRawStream: async (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
      // the session is the server's: a client's goodbye ends its turn, not the session
      if (message[0] === TERMINATE) return void queueMicrotask(letGo);
      await pglite.execProtocolRawStream(message, options);
    },
  } as unknown as PGlite;
  const server = new PGLiteSocketServer({ db, path, maxConnections: 1 });
  await server.start();
  // no password on this socket: only the server's own user may connect (connecting needs write permission)
  chmodSync(path, 0o600);
  return {
    stop: async () => {
      await server.stop();
      letGo();
      rmSync(path, { force: true });
    },
  };
}
