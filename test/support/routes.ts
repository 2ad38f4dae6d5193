import type { FastifyInstance } from 'fastify';
import { ROUTES } from '../../src/http/routes/index.js';

/** The rate-limited routes, as `METHOD /path`, read from their declarations. */
export const LIMITED_ROUTES = ROUTES.filter((route) => route.rateLimit).map((route) => `${route.method} ${route.url}`);

/**
 * Every method and path the app serves, read from Fastify's route tree (HEAD routes come with each
 * GET; `OPTIONS *` is the CORS preflight, not an operation).
 */
export function servedRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of m[3]?.split(', ') ?? []) {
      if (method === 'HEAD' || (method === 'OPTIONS' && path === '*')) continue;
      routes.push(`${method} ${path}`);
    }
  }
  return routes.sort();
}
