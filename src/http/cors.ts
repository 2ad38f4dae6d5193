import type { FastifyCorsOptions } from '@fastify/cors';

/** The API paths (SPEC §3): browser-based clients call these from any origin; pages never. */
const API_PATHS = [/^\/api\//, /^\/oauth\/(token|revoke|introspect|userinfo)$/, /^\/\.well-known\//, /^\/health$/, /^\/openapi\.json$/];

const OPEN: FastifyCorsOptions = { origin: '*', methods: ['GET', 'POST'], exposedHeaders: ['Retry-After'], maxAge: 600 };
const CLOSED: FastifyCorsOptions = { origin: false };

function isApiPath(url: string): boolean {
  const path = url.split('?')[0]!.replace(/(.)\/+$/, '$1');
  return API_PATHS.some((p) => p.test(path));
}

/**
 * CORS for the API routes' plugin scope. The plugin answers preflights through a wildcard
 * `OPTIONS *` route, and routes are not scoped, so that route also catches preflights for pages:
 * those get no CORS headers (and a 404).
 */
export const apiCors: FastifyCorsOptions = {
  delegator: (request, callback) => callback(null, request.method !== 'OPTIONS' || isApiPath(request.url) ? OPEN : CLOSED),
};
