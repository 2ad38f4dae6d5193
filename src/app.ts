import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import view from '@fastify/view';
import { Eta } from 'eta';
import pino, { type Logger } from 'pino';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Deps } from './deps.js';
import { clientErrorHandler, installErrorHandlers } from './http/errors.js';
import { installAccessLog } from './http/access-log.js';
import { installApiCors } from './http/cors.js';
import { installMultipart } from './http/multipart.js';
import { installRateLimits } from './http/rate-limits.js';
import { requestLogger } from './http/request-logger.js';
import { admitOnly } from './http/route.js';
import { API_PLUGINS, PAGE_PLUGINS, ROUTES } from './http/routes/index.js';
import { openApiRoutes } from './http/routes/openapi.js';
import { countRequests } from './store/rate-limits.js';
import { staticRoutes } from './http/routes/static.js';
import { parse as parseQuery } from 'node:querystring';

const VIEWS = fileURLToPath(new URL('../views/', import.meta.url));

/** Request and response fields that may carry secrets: never written to the log. */
export const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.client_secret',
  '*.password',
  '*.code',
  '*.code_verifier',
  '*.token',
  '*.access_token',
  '*.refresh_token',
];

/**
 * The process's logger: pino with every secret-bearing field redacted, to `destination` (stdout by
 * default). A destination that buffers (one with flush) is flushed after each warning or error.
 */
export function createLogger(level: string, destination?: pino.DestinationStream & { flush?: () => void }): Logger {
  const flush = destination?.flush?.bind(destination);
  const options: pino.LoggerOptions = {
    level,
    hooks: flush
      ? {
          logMethod(args, method, levelValue) {
            method.apply(this, args);
            if (levelValue >= pino.levels.values.warn!) flush();
          },
        }
      : {},
    redact: { paths: REDACTED, censor: '[redacted]' },
    // log the path only: a query string may carry a code or a secret
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** On every answer: never framed, never sends a Referer onward, never content-sniffed. */
const SECURITY_HEADERS = {
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

/** Strict-Transport-Security on https answers: one year, this host only. */
const HSTS = 'max-age=31536000';

/** Time a client has to send a whole request; a real client sends our small forms in far less. */
export const REQUEST_TIMEOUT_MS = 10_000;
export const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * TRUST_PROXY as Fastify takes it. Fastify trusts no hop when given a bare number, so a hop count
 * is a function: the socket's peer is hop 0, so `n` trusts the peer and the n-1 proxies before it.
 */
function trustedProxies(
  setting: Deps['config']['trustProxy'],
): false | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** Wires plugins and routes around the given dependencies; tests call this and use inject(). */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    // the same pino instance as the services', so audit lines and request lines go to one place
    loggerInstance: deps.log as FastifyBaseLogger,
    childLoggerFactory: requestLogger,
    // one access line per request instead of Fastify's two (http/access-log.ts)
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustedProxies(deps.config.trustProxy),
    bodyLimit: 64 * 1024,
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    // Slow or stalled clients (slowloris) are cut off instead of holding sockets forever: a whole
    // request (headers and a body of at most 64 KiB) must arrive within REQUEST_TIMEOUT_MS, checked
    // every TIMEOUT_CHECK_INTERVAL_MS (Node's default check runs only every 30 s).
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: 30_000,
    clientErrorHandler,
    http: { headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
    // The request line and URL: with a 4 KiB parameter limit, 16 KiB is ample.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  installErrorHandlers(app);
  installAccessLog(app, deps);
  await installRateLimits(app, deps, (counts, now, windowMs) => countRequests(deps.db, counts, now, windowMs));

  // Form bodies: repeated keys become lists. rawParams refuses more than 100 parameters; parsing
  // stops at 1000 pairs, enough to see that there were too many without truncating them into a valid form.
  await app.register(formbody, { parser: (body) => parseQuery(body, '&', '=', { maxKeys: 1000 }) });
  installMultipart(app);

  // hooks on every request take a callback, not a promise: one microtask and allocation fewer each
  const issuerHttps = deps.config.issuer.startsWith('https:');
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    // browsers heed it only on an https answer; over https, stay there
    if (issuerHttps || request.protocol === 'https') reply.header('Strict-Transport-Security', HSTS);
    done(null, payload);
  });

  // Each route goes into the scope of its declared audience (http/route.ts), which admits no other.
  // API routes answer browser-based clients from any origin; pages do not.
  await app.register(async (api) => {
    admitOnly(api, 'api');
    await installApiCors(api);
    await api.register(openApiRoutes, { deps, routes: ROUTES });
    for (const routes of API_PLUGINS) await api.register(routes, { deps });
  });
  // Pages sign people in and post forms: only they render templates, read cookies and check CSRF
  // tokens, so the API routes (every bearer check, every token) do not run the hooks that the view
  // and cookie plugins add to every request of their scope.
  await app.register(async (pages) => {
    admitOnly(pages, 'page');
    await pages.register(view, {
      engine: { eta: new Eta() },
      root: VIEWS,
      viewExt: 'eta',
      defaultContext: { instanceTitle: deps.config.instance.title },
    });
    await pages.register(cookie);
    // cookies are Secure whenever the request is https, and `__Host-` prefixed whenever it can be:
    // always for the session; for the CSRF cookie (whose name is fixed at start) when ISSUER is https
    pages.decorateRequest('overHttps', false);
    pages.addHook('onRequest', (request, _reply, done) => {
      request.overHttps = issuerHttps || request.protocol === 'https';
      done();
    });
    await pages.register(csrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: issuerHttps ? '__Host-doorman_csrf' : 'doorman_csrf',
      cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: issuerHttps },
      getToken: (request) => (request.body as Record<string, string> | undefined)?._csrf,
    });
    for (const routes of PAGE_PLUGINS) await pages.register(routes, { deps });
  });
  // the stylesheet, script and home redirect: neither CORS nor cookies
  await app.register(async (statics) => {
    admitOnly(statics, 'static');
    await statics.register(staticRoutes);
  });
  return app;
}
