import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { startMetricsServer } from './http/metrics-server.js';
import { clusterScrape } from './metrics.js';

/** The environment variable that tells a worker its slot; slot 0 is the one that runs housekeeping. */
export const WORKER_SLOT = 'DOORMAN_WORKER_SLOT';

/**
 * How many processes serve the port. `auto` is one per core, but the embedded PGlite serves one
 * process only, so `auto` without DATABASE_URL is 1 (an explicit number above 1 is refused at start).
 */
export function workerCount(config: Pick<Config, 'workers' | 'databaseUrl'>): number {
  if (config.workers === 'auto') return config.databaseUrl ? availableParallelism() : 1;
  return config.workers;
}

/** Whether this process runs housekeeping: the only process, or the worker in slot 0. */
export function runsHousekeeping(env: Record<string, string | undefined> = process.env): boolean {
  return env[WORKER_SLOT] === undefined || env[WORKER_SLOT] === '0';
}

/**
 * The primary of WORKERS > 1: forks the workers (each is a whole Doorman sharing the one port),
 * replaces one that dies after it served, and on SIGTERM/SIGINT lets every worker drain, then exits 0.
 * A worker that dies before it ever listened (a bad database URL, say) stops the whole server
 * instead: a replacement would only fail the same way, forever.
 */
export function runPrimary(count: number, log: Logger, metrics: Pick<Config, 'metrics'>['metrics']): void {
  const slots = new Map<Worker, number>();
  const listened = new Set<Worker>();
  let stopping = false;
  let exitCode = 0;

  const fork = (slot: number) => {
    const worker = cluster.fork({ [WORKER_SLOT]: String(slot) });
    slots.set(worker, slot);
  };
  cluster.on('listening', (worker) => listened.add(worker));
  cluster.on('exit', (worker, code, signal) => {
    const slot = slots.get(worker)!;
    slots.delete(worker);
    const served = listened.delete(worker);
    if (stopping) {
      if (slots.size === 0) {
        log.info('stopped');
        process.exit(exitCode);
      }
      return;
    }
    if (!served) {
      log.error({ worker: worker.process.pid, code, signal }, 'a worker could not start; stopping');
      void stop('worker start failure', 1);
      return;
    }
    log.warn({ worker: worker.process.pid, code, signal }, 'a worker died; starting another');
    fork(slot);
  });

  const stop = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    log.info({ reason }, 'stopping: every worker finishes its in-flight requests');
    // each worker forces its own exit after 10 s; this is the backstop for the primary
    setTimeout(() => process.exit(1), 15_000).unref();
    if (slots.size === 0) process.exit(exitCode);
    for (const worker of slots.keys()) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  log.info({ workers: count }, `Doorman starting ${count} workers`);
  for (let slot = 0; slot < count; slot++) fork(slot);
  // The primary answers /metrics with every worker's counts summed; the workers serve none.
  if (metrics.port !== undefined) {
    startMetricsServer(metrics.host, metrics.port, clusterScrape()).then(
      (server) => process.once('exit', () => server.close()),
      (err: unknown) => {
        log.error({ err }, 'the metrics listener could not start; stopping');
        void stop('metrics listener failure', 1);
      },
    );
  }
}
