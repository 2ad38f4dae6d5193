import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { ExpiringMap } from './expiring-map.js';
import type { Metrics } from './metrics.js';
import type { TokenOwner } from './store/token-grants.js';

/** The scopes this server knows (oauth/scopes.ts builds them: Mastodon's and EXTRA_SCOPES). */
export interface KnownScopes {
  readonly known: readonly string[];
  isKnown(scope: string): boolean;
  /** Plain words for a person. */
  describe(scope: string): string;
}

/** What every service function is handed: no globals, so tests can swap the clock. */
export interface Deps {
  db: Database;
  config: Config;
  scopes: KnownScopes;
  log: Logger;
  /** The process's Prometheus registry and counters. */
  metrics: Metrics;
  /** The current time; tests move it instead of sleeping. */
  clock: () => Date;
  /** The app and user of recently checked tokens, by `applicationId:userId` (oauth/token-owners.ts). */
  owners: ExpiringMap<TokenOwner>;
  /**
   * Certificates to trust, instead of the system's, when fetching client metadata documents; only
   * tests set it (a running server adds authorities with NODE_EXTRA_CA_CERTS).
   */
  clientMetadataCa?: string;
}
