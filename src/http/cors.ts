import type { FastifyInstance } from 'fastify';

/** The request's path, without its query or trailing slashes (routes match either way). */
const pathOf = (url: string) => url.split('?')[0]!.replace(/(.)\/+$/, '$1');

/** On every API answer, errors included: any origin may read it, and a 429's or 503's Retry-After. */
const CORS_HEADERS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' };
/** A preflight's answer: the methods the API takes, cached by the browser for ten minutes. */
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, POST',
  'Access-Control-Max-Age': '600',
  // the allowed headers echo the request's, so a cache must key on them
  Vary: 'Access-Control-Request-Headers',
  'Content-Length': '0',
};

/**
 * CORS for the API routes' plugin scope (SPEC §3): browser-based clients call the routes declared
 * for audience `api` from any origin; pages never. With any origin allowed (no credentials: tokens travel in
 * headers and bodies, never cookies) every answer carries the same fixed headers, set in one hook;
 * @fastify/cors merged its options object for every request to find that out. Preflights reach a
 * wildcard `OPTIONS *` route; routes are not scoped, so it also catches preflights for pages and
 * unknown paths: those are answered 404, without CORS headers. Call it before the scope's routes
 * are registered: it learns their paths as they are.
 */
export async function installApiCors(api: FastifyInstance): Promise<void> {
  const apiPaths = new Set<string>();
  api.addHook('onRoute', (route) => {
    if (route.config?.route?.audience === 'api') apiPaths.add(route.url);
  });
  api.addHook('onRequest', (request, reply, done) => {
    if (request.method === 'OPTIONS' && !apiPaths.has(pathOf(request.url))) return reply.callNotFound();
    reply.headers(CORS_HEADERS);
    done();
  });
  api.options('*', (request, reply) => {
    reply.code(204).headers(PREFLIGHT_HEADERS);
    const requested = request.headers['access-control-request-headers'];
    if (requested !== undefined) reply.header('Access-Control-Allow-Headers', requested);
    reply.send();
  });
}
