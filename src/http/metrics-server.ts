import { createServer, type Server } from 'node:http';
import type { Scrape } from '../metrics.js';

/**
 * Prometheus's listener, apart from the public port (METRICS_HOST defaults to loopback): GET
 * /metrics answers the scrape, anything else 404. `scrape` is the process's own registry, or in a
 * cluster's primary every worker's metrics summed (clusterScrape).
 */
export async function startMetricsServer(host: string, port: number, scrape: () => Promise<Scrape>): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
      return;
    }
    scrape().then(
      ({ contentType, body }) => response.writeHead(200, { 'Content-Type': contentType }).end(body),
      (err: unknown) =>
        response
          .writeHead(503, { 'Content-Type': 'text/plain' })
          .end(`metrics not available: ${err instanceof Error ? err.message : 'error'}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
