import type { FastifyReply, FastifyRequest } from 'fastify';
import { descriptions, type OAuthError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser reached us over https (directly, through a trusted proxy, or as ISSUER says). */
    overHttps: boolean;
  }
  interface FastifyContextConfig {
    /** This route answers with HTML pages (errors included), not JSON. */
    page?: boolean;
    /** This page's form answers with a redirect to a client (any origin or custom scheme). */
    redirectsToClients?: boolean;
  }
}

export const SESSION_COOKIE = 'doorman_session';

/**
 * Over https the session cookie is `__Host-` prefixed: the browser then takes it only Secure, for
 * path `/` and this host alone, so no sibling domain or plain-http answer can plant or shadow it.
 */
export const sessionCookieName = (request: FastifyRequest) =>
  request.overHttps ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;

/** Options for the session cookie (and its clearing). */
export const sessionCookieOptions = (request: FastifyRequest) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: request.overHttps,
});

/**
 * Renders a page with the headers every page gets: never framed (clickjacking), never cached,
 * never leaking its URL (which may carry a code) through Referer.
 */
export async function renderPage(reply: FastifyReply, view: string, data: Record<string, unknown>): Promise<unknown> {
  const formAction = reply.request.routeOptions.config?.redirectsToClients ? '' : " form-action 'self';";
  reply
    .header(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none';${formAction} frame-ancestors 'none'`,
    )
    .header('Cache-Control', 'private, no-store')
    .type('text/html; charset=utf-8');
  // the CSRF cookie is Secure over https even when ISSUER (which set its static options) is http
  const csrfToken =
    typeof reply.generateCsrf === 'function'
      ? reply.generateCsrf(reply.request.overHttps ? { secure: true } : undefined)
      : '';
  return reply.view(view, { csrfToken, ...data });
}

/**
 * What a page says about an error: words for a person. The JSON answers keep the RFC's wording,
 * which names mechanisms a person signing in neither knows nor can act on.
 */
export function pageMessage(error: OAuthError): string {
  switch (error.code) {
    case 'invalid_client':
      // a client known by its metadata document: say what is wrong with the document
      if (error.description && error.description !== descriptions.invalid_client)
        return `${error.description} Tell the app's developer.`;
      return 'The app that sent you here is not known to this server: it may have been removed, or the link is wrong. Go back to the app and try again, or tell its developer.';
    case 'invalid_redirect_uri':
      return "The app that sent you here asked to be answered at an address it did not register, so this server will not send you back there. Tell the app's developer.";
    case 'invalid_scope':
      return "The app that sent you here asked for permissions it did not register. Tell the app's developer.";
    default:
      return error.sentence ?? error.description ?? error.code;
  }
}

/** The sign-in session id from the cookie, if any. */
export function sessionId(request: FastifyRequest): string | undefined {
  const value = request.cookies[sessionCookieName(request)];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/**
 * A path on this server to return to after sign-in; anything else (other hosts, `//x`) is dropped.
 * Spaces and non-ASCII characters are percent-encoded (a Location header holds ASCII only); a
 * control character or a lone surrogate cannot be part of a path, so such a value is dropped.
 */
export function localPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\'))
    return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(value) || value.length > 4096) return undefined;
  // with the u flag a lone surrogate is one match, and encodeURIComponent refuses it
  if (/\p{Surrogate}/u.test(value)) return undefined;
  return value.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
}
