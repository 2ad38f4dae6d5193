import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';

/** The API paths (SPEC §3): browser-based clients call these from any origin; pages never. */
const API_PATHS = [/^\/api\//, /^\/oauth\/(token|revoke|introspect|userinfo)$/, /^\/\.well-known\//, /^\/health$/, /^\/openapi\.json$/];

function isApiPath(url: string): boolean {
  const path = url.split('?')[0]!.replace(/(.)\/+$/, '$1');
  return API_PATHS.some((p) => p.test(path));
}

/**
 * CORS for the API routes' plugin scope, with options fixed once (a per-request options function
 * costs every API call). The plugin answers preflights through a wildcard `OPTIONS *` route, and
 * routes are not scoped, so that route also catches preflights for pages: those are answered 404,
 * without CORS headers, before the plugin's hook sees them.
 */
export async function installApiCors(api: FastifyInstance): Promise<void> {
  api.addHook('onRequest', (request, reply, done) => {
    if (request.method === 'OPTIONS' && !isApiPath(request.url)) return reply.callNotFound();
    done();
  });
  await api.register(cors, { origin: '*', methods: ['GET', 'POST'], exposedHeaders: ['Retry-After'], maxAge: 600 });
}
