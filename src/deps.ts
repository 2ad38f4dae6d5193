import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Metrics } from './metrics.js';
import type { ScopeCatalog } from './oauth/scopes.js';

/** What every service function is handed: no globals, so tests can swap the clock. */
export interface Deps {
  db: Database;
  config: Config;
  scopes: ScopeCatalog;
  log: Logger;
  /** The process's Prometheus registry and counters. */
  metrics: Metrics;
  /** The current time; tests move it instead of sleeping. */
  clock: () => Date;
}
