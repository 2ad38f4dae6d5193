import { DatabaseUnavailableError } from '../database-unavailable.js';

/** Anything that runs parameterised SQL: the database itself, or one open transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** The one database interface the store layer sees; Postgres and PGlite both implement it. */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn inside BEGIN … COMMIT; any throw rolls back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connections and failed statements so far, for the metrics; undefined without a pool. */
  stats?(): DatabaseStats;
}

export interface DatabaseStats {
  total: number;
  idle: number;
  waiting: number;
  errors: number;
}

/** A database that can tell when it has gone quiet: what a graceful stop waits for before closing it. */
export interface SettlingDatabase extends Database {
  /** Resolves once no statement has run for `quietMs`, or after `deadlineMs` at the latest. */
  settled(quietMs: number, deadlineMs: number): Promise<void>;
}

/**
 * Counts the statements in progress. A request whose client hung up keeps running after the HTTP
 * server has closed (the server waits for connections, not for handlers), and it may chain a
 * second statement onto the one in flight: closing the database then would fail that one.
 */
export function settling(db: Database): SettlingDatabase {
  let running = 0;
  let lastEnded = 0;
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    running++;
    try {
      return await work();
    } finally {
      running--;
      lastEnded = Date.now();
    }
  };
  return {
    kind: db.kind,
    query: <Row>(sql: string, params?: readonly unknown[]) => track(() => db.query<Row>(sql, params)),
    exec: (sql) => track(() => db.exec(sql)),
    transaction: (fn) => track(() => db.transaction(fn)),
    close: () => db.close(),
    ...(db.stats ? { stats: () => db.stats!() } : {}),
    settled: async (quietMs, deadlineMs) => {
      const deadline = Date.now() + deadlineMs;
      while (Date.now() < deadline && (running > 0 || Date.now() - lastEnded < quietMs))
        await new Promise((r) => setTimeout(r, 20));
    },
  };
}

// The database could not be reached or did not answer in time (the caller answers 503).
export { DatabaseUnavailableError };

/** DATA_DIR is owned by another running process (PGlite has no lock of its own). */
export class DataDirInUseError extends Error {
  constructor(dir: string, owner: string) {
    super(`${dir} is in use by another Doorman process (${owner}); stop it first, or set DATABASE_URL`);
  }
}

/** Errors that mean "the database cannot answer now" (gone, unreachable, too busy), not "your SQL is wrong". */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  // connection exceptions, statement timeout (an overloaded or locked database), admin shutdown, too many connections
  if (code && /^(08|57014|57P0[1-3]|53300)/.test(code)) return true;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code))
    return true;
  // "Query read timeout": no answer within query_timeout (a silent network); the connection is unusable.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|not queryable|Query read timeout/i.test(
    err.message,
  );
}

/** One line for a failed start: the server's own words, and what to set when a pooler refused a setting. */
export function describeStartFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err instanceof DatabaseUnavailableError && err.cause instanceof Error ? err.cause.message : undefined;
  const text = cause ? `${err.message}: ${cause}` : err.message;
  // PgBouncer in transaction mode refuses the statement_timeout Doorman sends by default
  return /unsupported startup parameter/i.test(text)
    ? `${text} (behind a transaction-mode pooler? set DATABASE_POOLER=transaction)`
    : text;
}
