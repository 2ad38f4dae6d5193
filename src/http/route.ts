import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { z } from 'zod';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's declaration: what it takes, answers, and how it is limited. */
    route?: RouteDeclaration;
  }
}

type Shape = Record<string, z.ZodType>;

/** Which limiter of http/rate-limits.ts counts the route's requests. */
export type Limiter = 'token' | 'apps' | 'signIn' | 'documents';

/**
 * Whom the route answers:
 * - `api`: programs. Any origin may read the answer (CORS) and preflights are answered.
 * - `page`: a person's browser. HTML; cookies, CSRF tokens and templates; no CORS.
 * - `static`: neither: the pages' stylesheet and script, and the home redirect.
 */
export type Audience = 'api' | 'page' | 'static';

/** One possible answer of a route, by status. */
export type Answer = { description: string } & (
  | { json: z.ZodType; headers?: readonly string[] }
  | { html: true; headers?: readonly string[] }
  | { redirect: true }
  | { file: string }
);

/** Everything said about one route; registration, the OpenAPI document, CORS, rate limits and the junk test read it. */
export interface RouteDeclaration {
  method: 'GET' | 'POST';
  url: string;
  audience: Audience;
  tag: 'Apps' | 'OAuth' | 'Accounts' | 'Pages' | 'Server';
  operationId: string;
  summary: string;
  description?: string;
  /** The parameters, as the zod shape the handler parses them with (descriptions attached). */
  params?: Shape;
  /** The body types it reads, when not every form and JSON (SPEC §3); the OpenAPI document lists these. */
  bodyTypes?: readonly string[];
  /** Parameters the route refuses to go without (it checks them itself, to word the error). */
  required?: readonly string[];
  /** `client`: HTTP Basic or client_id and client_secret in the body; `bearer`: an access token. */
  security?: 'client' | 'bearer';
  responses: Readonly<Record<number, Answer>>;
  rateLimit?: Limiter;
}

/** A declaration, its literal types kept (so its 200 answer's schema can type the handler); `required` names only its parameters. */
export const route = <const D extends RouteDeclaration>(
  declaration: D & { required?: readonly (keyof D['params'] & string)[] },
): D => declaration;

/** What a handler may return: the 200 JSON answer's type when the route declares one, or a reply it sent itself. */
type Returned<D extends RouteDeclaration> = D['responses'] extends { 200: { json: infer S extends z.ZodType } }
  ? z.infer<S> | FastifyReply
  : unknown;

export interface RouteOptions {
  config?: { redirectsToClients?: boolean };
  preHandler?: preHandlerHookHandler;
}

/** Registers a declared route; page routes answer errors as HTML pages (http/errors.ts). */
export function declareRoute<D extends RouteDeclaration>(
  app: FastifyInstance,
  declaration: D,
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<Returned<D>>,
  options: RouteOptions = {},
): void {
  app.route({
    method: declaration.method,
    url: declaration.url,
    ...(options.preHandler ? { preHandler: options.preHandler } : {}),
    config: { ...(declaration.audience === 'page' ? { page: true } : {}), ...options.config, route: declaration },
    handler,
  });
}

/**
 * Refuses at start any route registered in `app`'s scope that is not declared for `audience`, so
 * that a route's declaration (which CORS, the rate limits and the document read) is what it gets.
 * The CORS preflight's `OPTIONS *` is no operation and has no declaration.
 */
export function admitOnly(app: FastifyInstance, audience: Audience): void {
  app.addHook('onRoute', (options) => {
    if (options.method === 'OPTIONS' && options.url === '*') return;
    const declared = options.config?.route?.audience;
    if (declared !== audience)
      throw new Error(
        `${String(options.method)} ${options.url} is registered for ${audience} but declared for ${declared ?? 'nothing'}`,
      );
  });
}
