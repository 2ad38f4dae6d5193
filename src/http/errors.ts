import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError } from '../database-unavailable.js';
import { OAuthError, tooManyRequests } from '../errors.js';
import { pageMessage, renderPage } from './pages.js';

/**
 * One place turns every error into the SPEC's answer: JSON `{error, error_description}` on API
 * routes, an HTML page on page routes. Unknown errors are logged with the request id and answered
 * with a bare 500: no message, no stack.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const answer = toAnswer(err);
    if (answer.status >= 500 && !(err instanceof DatabaseUnavailableError))
      request.log.error({ err }, 'unhandled error');
    else if (err instanceof DatabaseUnavailableError) request.log.warn({ err: err.cause }, 'database unavailable');
    if (answer.status === 401 && err instanceof OAuthError && err.code === 'invalid_client') {
      reply.header('WWW-Authenticate', 'Basic realm="Doorman", charset="UTF-8"');
    }
    if (answer.status === 503) reply.header('Retry-After', '5');
    return sendError(request, reply, answer.status, answer.error);
  });

  app.setNotFoundHandler(async (request, reply) =>
    sendError(
      request,
      reply,
      404,
      new OAuthError('not_found', `Nothing is served at ${request.method} ${request.url.split('?')[0]}.`, 404),
    ),
  );
}

/**
 * Requests Node's HTTP parser refuses before any route sees them (head over 16 KiB, not HTTP, too
 * slow): answered in the SPEC's JSON format and with `Connection: close`. Fastify's default answer
 * leaves the client thinking the socket is reusable; the server then destroys it, and the client's
 * next request on that keep-alive socket fails with a reset.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, description] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request line and headers are larger than 16 KiB.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request did not arrive in time.']
        : [400, 'Bad Request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  this.log.debug({ code: err.code }, 'refused by the HTTP parser');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function toAnswer(err: FastifyError): { status: number; error: OAuthError } {
  if (err instanceof OAuthError) return { status: err.status, error: err };
  if (err instanceof DatabaseUnavailableError) {
    return {
      status: 503,
      error: new OAuthError('temporarily_unavailable', 'The service is briefly unavailable; try again shortly.', 503),
    };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's own refusals (bad JSON, wrong content type, body too large, CSRF): say what, in our format.
    if (status === 429) return { status, error: tooManyRequests() };
    const code = status === 403 ? 'access_denied' : 'invalid_request';
    const description =
      status === 403
        ? 'The form has expired or did not come from this site; go back, reload and try again.'
        : plainMessage(err);
    return { status, error: new OAuthError(code, description, status) };
  }
  return { status: 500, error: new OAuthError('server_error', 'The server could not answer this request.', 500) };
}

/** Fastify's messages without internal codes or quoted input beyond a sane length. */
function plainMessage(err: FastifyError): string {
  const message = err.message.replace(/^FST_\w+:?\s*/, '').slice(0, 200);
  return message.endsWith('.') ? message : `${message}.`;
}

export async function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: OAuthError,
): Promise<unknown> {
  reply.code(status);
  if (request.routeOptions.config?.page) {
    return renderPage(reply, 'error', {
      title: status === 429 ? 'Too many attempts' : 'Something went wrong',
      message: pageMessage(error),
      status,
    });
  }
  return reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send(error.toJSON());
}
