import { AggregatorRegistry, Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { Database } from './db/database.js';

/** What the request path calls to count: a prom-client counter, or nothing when metrics are off. */
interface Count<L extends string> {
  inc(labels: Partial<Record<L, string | number>>, value?: number): void;
}
interface Timing<L extends string> {
  observe(labels: Partial<Record<L, string | number>>, seconds: number): void;
}
const UNCOUNTED = { inc() {}, observe() {} };

/**
 * The process's Prometheus metrics, on a registry of its own (never prom-client's global one, so
 * that two apps in one test process count apart). Each event is counted by the layer that knows it.
 * With `recording: false` (no METRICS_PORT: nobody can read them) nothing is counted, and a
 * request does not pay for hashing the labels of three series.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Count<'method' | 'route' | 'status'>;
  readonly requestSeconds: Timing<'method' | 'route'>;
  readonly tokensIssued: Count<'grant'>;
  readonly tokenPaths: Count<'grant' | 'path' | 'reason'>;
  readonly introspections: Count<'result'>;
  readonly signInFailures: Count<'reason'>;
  readonly rateLimitRefusals: Count<'route'>;
  readonly housekeepingDeletions: Count<'kind'>;

  constructor(options: { db?: Pick<Database, 'stats'>; processMetrics?: boolean; recording?: boolean } = {}) {
    const { db } = options;
    if (options.recording === false) {
      this.requests = this.requestSeconds = this.tokensIssued = this.tokenPaths = UNCOUNTED;
      this.introspections = this.signInFailures = this.rateLimitRefusals = this.housekeepingDeletions = UNCOUNTED;
      return;
    }
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter({ name, help, labelNames, registers: [this.registry] });
    this.requests = counter('doorman_http_requests_total', 'HTTP requests answered, by route and status', [
      'method',
      'route',
      'status',
    ]);
    this.requestSeconds = new Histogram({
      name: 'doorman_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.tokensIssued = counter('doorman_tokens_issued_total', 'Access tokens issued, by grant type', ['grant']);
    this.tokenPaths = counter(
      'doorman_token_path_total',
      'Token requests by grant, by the path that answered them (fast: one statement; fallback) and why the fast one did not',
      ['grant', 'path', 'reason'],
    );
    this.introspections = counter(
      'doorman_introspections_total',
      'Introspection answers, by result (active, inactive, refused)',
      ['result'],
    );
    this.signInFailures = counter(
      'doorman_sign_in_failures_total',
      'Sign-ins refused, by reason (invalid, throttled)',
      ['reason'],
    );
    this.rateLimitRefusals = counter(
      'doorman_rate_limit_refusals_total',
      'Requests refused by a rate limit, by route',
      ['route'],
    );
    this.housekeepingDeletions = counter(
      'doorman_housekeeping_deletions_total',
      'Rows deleted by housekeeping, by kind',
      ['kind'],
    );
    if (db?.stats) {
      const stats = db.stats.bind(db);
      const pool = new Gauge({
        name: 'doorman_db_pool_connections',
        help: 'Database pool connections, by state (total, idle, waiting: requests waiting for one)',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const s = stats!();
          this.set({ state: 'total' }, s.total);
          this.set({ state: 'idle' }, s.idle);
          this.set({ state: 'waiting' }, s.waiting);
        },
      });
      void pool;
      // A counter read from the database's own tally: the value only ever grows.
      new Counter({
        name: 'doorman_db_errors_total',
        help: 'Database statements that failed',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(stats!().errors);
        },
      });
    }
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The metrics in Prometheus's text format, with their content type. */
  async scrape(): Promise<Scrape> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * In a cluster worker, at its start: answers the primary's requests for metrics over the cluster's
 * IPC channel (prom-client's AggregatorRegistry), with nothing until shareWithCluster, so a scrape
 * while a worker is still starting does not wait for it and fail. The worker serves no metrics itself.
 */
export function answerClusterScrapes(): void {
  new AggregatorRegistry(); // adds the worker's listener for the primary's requests
  AggregatorRegistry.setRegistries([]);
}

/** In a cluster worker, once its metrics exist: the primary's scrapes get them from now on. */
export function shareWithCluster(metrics: Metrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
}

/** In the cluster's primary: every worker's metrics, summed (a worker's process metrics kept apart). */
export function clusterScrape(): () => Promise<Scrape> {
  const aggregator = new AggregatorRegistry();
  return async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
}

export interface Scrape {
  contentType: string;
  body: string;
}
