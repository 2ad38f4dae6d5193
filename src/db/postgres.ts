import { createHash } from 'node:crypto';
import pg from 'pg';
import { DatabaseUnavailableError, isConnectionError, type Database, type Queryable } from './database.js';

// bigint columns (ids, counts) come back as numbers, as PGlite returns them, so both drivers agree.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export interface PostgresOptions {
  /** Connections in the pool; a few per core is the sweet spot for short OAuth queries. */
  max?: number;
  /** How long a request may wait for a connection before it is answered 503. */
  connectTimeoutMs?: number;
  /**
   * How long a query may go without an answer before its connection is given up (503). Bounds a
   * request when the network to Postgres goes silent instead of failing; statements are cancelled
   * by the server a second earlier (statement_timeout), so a merely slow one ends cleanly.
   */
  queryTimeoutMs?: number;
  /**
   * `transaction`: a transaction-mode pooler (PgBouncer) is in front and hands each transaction
   * any server connection. Nothing may outlive a transaction: no named statements, no startup
   * parameters (PgBouncer refuses statement_timeout), no session-level SET.
   */
  pooler?: 'none' | 'transaction';
}

/**
 * Every query runs as a named (prepared) statement: each connection parses and plans a text once
 * and reuses the plan after. The name is derived from the text, so one name never means two texts;
 * the store's texts are constants, so the set of names stays small.
 */
const statementNames = new Map<string, string>();
function prepared(text: string, values: readonly unknown[] | undefined): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `s${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values: values as unknown[] | undefined };
}

/** Migration scripts may take long (an index on a big table): no statement or read timeout. */
const SCRIPT_TIMEOUT_MS = 30 * 60_000;

/** Behind a transaction-mode pooler: an unnamed statement, parsed and bound within one round trip. */
function unnamed(text: string, values: readonly unknown[] | undefined): pg.QueryConfig {
  return { text, values: values as unknown[] | undefined };
}

export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const pooled = options.pooler === 'transaction';
  const queryTimeout = options.queryTimeoutMs ?? 5000;
  const statementTimeout = queryTimeout - 1000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    idleTimeoutMillis: 30_000,
    // Behind a pooler the server's timeout is set per transaction (below) or on the role.
    ...(pooled ? {} : { statement_timeout: statementTimeout }),
    query_timeout: queryTimeout,
    types,
  });
  const statement = pooled ? unnamed : prepared;
  // SET LOCAL ends with its transaction; sent with BEGIN, it costs no extra round trip.
  const begin = pooled ? `BEGIN; SET LOCAL statement_timeout = ${statementTimeout}` : 'BEGIN';
  // An idle client that loses its server emits here; without a listener the process would die.
  pool.on('error', () => {});

  let errors = 0;
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      errors++;
      throw isConnectionError(err) ? new DatabaseUnavailableError(err) : err;
    }
  };
  const script = (sql: string) => ({ text: sql, query_timeout: SCRIPT_TIMEOUT_MS }) as pg.QueryConfig;
  const on = (client: pg.Pool | pg.PoolClient, inTransaction = false): Queryable => ({
    query: async (sql, params) => (await client.query(statement(sql, params))).rows,
    exec: async (sql) => {
      if (inTransaction) await client.query('SET LOCAL statement_timeout = 0');
      await client.query(script(sql));
    },
  });

  return {
    kind: 'postgres',
    query: (sql, params) => run(() => on(pool).query(sql, params)),
    exec: (sql) => run(() => on(pool).exec(sql)),
    transaction: (fn) =>
      run(async () => {
        const client = await pool.connect();
        let broken = false;
        // A checked-out client whose connection dies between two queries emits 'error'; unheard,
        // that would end the process. The next query fails and the client is discarded below.
        const onError = () => (broken = true);
        client.on('error', onError);
        try {
          await client.query(begin);
          const result = await fn(on(client, true));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          broken ||= isConnectionError(err);
          if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
          throw err;
        } finally {
          // A client whose connection broke must not go back into the pool.
          client.off('error', onError);
          client.release(broken);
        }
      }),
    close: () => pool.end(),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, errors }),
  };
}
