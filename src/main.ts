import cluster from 'node:cluster';
import pino from 'pino';
import { buildApp, createLogger } from './app.js';
import { runPrimary, runsHousekeeping, workerCount } from './cluster.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startHousekeeping } from './oauth/housekeeping.js';
import { startMetricsServer } from './http/metrics-server.js';
import { answerClusterScrapes, Metrics, shareWithCluster } from './metrics.js';
import { DataDirInUseError, describeStartFailure, describeStorage, openRuntime, type Runtime } from './runtime.js';

/** Starts Doorman: settings, database, migrations, then the HTTP server; stops cleanly on a signal. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`doorman: bad setting ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Lines are buffered and written off the request path, a few KiB at a time or every 250 ms
  // (a write per access line cost a busy server more than any other part of its log). Warnings,
  // errors and the start-up line go out at once (createLogger flushes after them), and whatever is
  // buffered is written out as the process exits, however it exits. A write is at most 4 KiB of
  // whole lines, so that lines of several workers on one pipe never interleave.
  const destination = pino.destination({ sync: false, minLength: 3072, maxWrite: 4096, periodicFlush: 250 });
  process.on('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // nothing buffered, or stdout already gone
    }
  });
  const log = createLogger(config.logLevel, destination);
  if (!config.databaseUrl && typeof config.workers === 'number' && config.workers > 1) {
    process.stderr.write(
      `doorman: WORKERS=${config.workers} needs DATABASE_URL: the embedded PGlite serves one process only\n`,
    );
    process.exit(2);
  }
  const workers = workerCount(config);
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, log, config.metrics);

  if (cluster.isWorker) answerClusterScrapes();
  let runtime: Runtime;
  try {
    runtime = await openRuntime(config, { owner: true });
  } catch (err) {
    if (err instanceof DataDirInUseError) {
      process.stderr.write(`doorman: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { db } = runtime;
  // with no METRICS_PORT nobody can read the metrics: nothing is counted
  const metrics = new Metrics({ db, recording: config.metrics.port !== undefined });
  const deps = { ...runtime, log, metrics };
  const app = await buildApp(deps);
  // In a cluster the primary serves every worker's metrics together (cluster.ts); alone, this process does.
  if (cluster.isWorker) shareWithCluster(metrics);
  const metricsServer =
    !cluster.isWorker && config.metrics.port !== undefined
      ? await startMetricsServer(config.metrics.host, config.metrics.port, () => metrics.scrape())
      : undefined;
  const housekeeping = runsHousekeeping() ? startHousekeeping(deps) : { stop: async () => {} };

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight requests');
    // If something hangs, leave anyway rather than never exit.
    setTimeout(() => process.exit(1), 10_000).unref();
    await housekeeping.stop(); // a round in flight finishes before the database closes
    // A keep-alive connection whose request ends after the signal would stay open until its idle
    // timeout and hold close() up; close each one as soon as it is idle.
    const closeIdle = setInterval(() => app.server.closeIdleConnections(), 100);
    await app.close(); // stops accepting, waits for in-flight requests
    clearInterval(closeIdle);
    metricsServer?.close();
    // Requests whose clients hung up are not waited for above, and may still be between two
    // statements; a few hundred ms without any covers that (a sign-in's password hash included).
    await db.settled(300, 5000);
    await db.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  log.info(
    { address, issuer: config.issuer, storage: describeStorage(config) },
    `Doorman listening on ${address} (${describeStorage(config)}); clients must use the issuer ${config.issuer}`,
  );
  destination.flush();
}

main().catch((err) => {
  process.stderr.write(`doorman: could not start: ${describeStartFailure(err)}\n`);
  process.exit(1);
});
