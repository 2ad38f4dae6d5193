// PGlite is pinned to one exact version in package.json (0.5.14), not a range: this file and
// db/pglite-offer.ts call its underscored internals, _checkReady, _runExclusiveQuery and
// _runExclusiveTransaction (the locks PGlite.query() takes), which it exports but documents as
// no API and may change in any release. Raise the pin only after test/pglite-lock.test.ts and
// the rest of the suite pass on the new version.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type messages, parse, PGlite, protocol, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';
import { lockDataDir } from './data-dir-lock.js';
import { offerPglite, type Offer } from './pglite-offer.js';

interface Statement {
  name: string;
  /** Type of each parameter, as the server inferred it: picks the serializer of each value. */
  parameterTypes: number[];
  /** The statement's RowDescription; undefined when it returns no rows. */
  rowDescription: messages.RowDescriptionMessage | undefined;
}

/**
 * Queries as named prepared statements over PGlite's wire protocol. PGlite.query() parses and
 * plans every statement anew and makes five calls into the WASM module per query; the store's
 * one-statement CTEs then cost about 2.5 times a plain INSERT. Here each text is parsed and
 * planned once, and each query after is one call: Bind, Execute and Sync together.
 */
function preparedStatements(pglite: PGlite) {
  const { serialize } = protocol;
  const statements = new Map<string, Statement>();
  // Not transactional: a statement prepared inside a transaction that rolls back stays prepared.
  const prepare = async (text: string): Promise<Statement> => {
    const name = `s${statements.size}`;
    const answer = await pglite.execProtocolStream(
      Buffer.concat([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]),
      {
        syncToFs: false,
      },
    );
    const params = answer.find((m): m is messages.ParameterDescriptionMessage => m.name === 'parameterDescription');
    const rows = answer.find((m): m is messages.RowDescriptionMessage => m.name === 'rowDescription');
    const statement = { name, parameterTypes: params?.dataTypeIDs ?? [], rowDescription: rows };
    statements.set(text, statement);
    return statement;
  };
  /** Runs one statement; the caller holds PGlite's query lock (and, outside a transaction, its transaction lock). */
  return async (text: string, params: readonly unknown[] = [], inTransaction: boolean): Promise<never[]> => {
    const statement = statements.get(text) ?? (await prepare(text));
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = pglite.serializers[statement.parameterTypes[i]!];
      return serializer ? serializer(value) : String(value);
    });
    const answer = await pglite.execProtocolStream(
      Buffer.concat([serialize.bind({ statement: statement.name, values }), serialize.execute({}), serialize.sync()]),
      {
        syncToFs: false,
      },
    );
    // as PGlite.query() does: outside a transaction, each statement reaches the file system at once
    if (!inTransaction) await pglite.syncToFs();
    const [result] = parse.parseResults(
      statement.rowDescription ? [statement.rowDescription, ...answer] : answer,
      pglite.parsers,
    );
    return (result?.rows ?? []) as never[];
  };
}

export interface PgliteOptions {
  /** Offer the database to local processes (the CLI) on a Unix socket in dataDir while open. */
  offer?: boolean;
}

export async function openPglite(dataDir: string, options: PgliteOptions = {}): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  let pglite: PGlite;
  let offer: Offer | undefined;
  try {
    pglite = await PGlite.create(join(dataDir, 'pgdata'));
    if (options.offer) offer = await offerPglite(pglite, dataDir);
  } catch (err) {
    await unlock();
    throw err;
  }
  // PGlite runs one statement at a time on this thread; it queues callers itself, and a
  // transaction holds the queue until it ends. Prepared statements take the same two locks
  // PGlite.query() takes (inside a transaction, its holder already has the outer one).
  const run = preparedStatements(pglite);
  const inside = (tx: Transaction): Queryable => ({
    query: (sql, params) => pglite._runExclusiveQuery(() => run(sql, params, true)),
    exec: async (sql) => void (await tx.exec(sql)),
  });
  return {
    kind: 'pglite',
    query: async (sql, params) => {
      await pglite._checkReady();
      return pglite._runExclusiveTransaction(() => pglite._runExclusiveQuery(() => run(sql, params, false)));
    },
    exec: async (sql) => void (await pglite.exec(sql)),
    transaction: (fn) => pglite.transaction((tx) => fn(inside(tx))),
    close: async () => {
      try {
        await offer?.stop();
        await pglite.close();
      } finally {
        await unlock();
      }
    },
  };
}
