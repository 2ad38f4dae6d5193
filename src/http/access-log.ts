import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';

/**
 * One hook per answered request that both counts it (route template, status, latency) and, at
 * info, writes its one access line: the path without its query string, which may carry a code or a
 * secret. One hook for both, since every hook costs on every request.
 */
export function installAccessLog(app: FastifyInstance, deps: Pick<Deps, 'log' | 'metrics'>): void {
  const { log, metrics } = deps;
  // Its fields hold no secret (the path is cut before its query), so the line skips the redaction
  // every other line goes through: most of what formatting it cost (4.6 of 5.2 µs a line, measured alone).
  const lines = log.child({}, { redact: [] });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.requestSeconds.observe({ method: request.method, route }, seconds);
    if (lines.isLevelEnabled('info')) {
      lines.info(
        {
          reqId: request.id,
          method: request.method,
          path: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    }
    done();
  });
}
