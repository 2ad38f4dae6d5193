/**
 * The database could not be reached or did not answer in time. Thrown by db/ and recognised by the
 * callers at the top (the HTTP error handler answers 503, the CLI says why in one line), which
 * therefore need not know the database layer: it lives here, below every floor.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database is not available', { cause });
  }
}
