import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route answers with HTML pages (errors included), not JSON. */
    page?: boolean;
    /** This page's form answers with a redirect to a client (any origin or custom scheme). */
    redirectsToClients?: boolean;
  }
}

export const SESSION_COOKIE = 'doorman_session';

/**
 * Renders a page with the headers every page gets: never framed (clickjacking), never cached,
 * never leaking its URL (which may carry a code) through Referer.
 */
export async function renderPage(reply: FastifyReply, view: string, data: Record<string, unknown>): Promise<unknown> {
  const formAction = reply.request.routeOptions.config?.redirectsToClients ? '' : " form-action 'self';";
  reply
    .header('Content-Security-Policy', `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none';${formAction} frame-ancestors 'none'`)
    .header('Cache-Control', 'private, no-store')
    .type('text/html; charset=utf-8');
  const csrfToken = typeof reply.generateCsrf === 'function' ? reply.generateCsrf() : '';
  return reply.view(view, { csrfToken, ...data });
}

/**
 * What a page says about an error: words for a person. The JSON answers keep the RFC's wording,
 * which names mechanisms a person signing in neither knows nor can act on.
 */
export function pageMessage(error: OAuthError): string {
  switch (error.code) {
    case 'invalid_client':
      return 'The app that sent you here is not known to this server: it may have been removed, or the link is wrong. Go back to the app and try again, or tell its developer.';
    case 'invalid_redirect_uri':
      return 'The app that sent you here asked to be answered at an address it did not register, so this server will not send you back there. Tell the app\'s developer.';
    case 'invalid_scope':
      return 'The app that sent you here asked for permissions it did not register. Tell the app\'s developer.';
    default:
      return error.description ?? error.code;
  }
}

/** The sign-in session id from the cookie, if any. */
export function sessionId(request: FastifyRequest): string | undefined {
  const value = request.cookies[SESSION_COOKIE];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/** A path on this server to return to after sign-in; anything else (other hosts, `//x`) is dropped. */
export function localPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined;
  if (/[\u0000-\u001f\\]/.test(value) || value.length > 4096) return undefined;
  return value;
}
