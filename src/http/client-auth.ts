import type { FastifyRequest } from 'fastify';
import type { ClientCredentials } from '../oauth/clients.js';
import { invalidRequest } from '../errors.js';

/**
 * The client credentials a request carries: `client_id`/`client_secret` in the body and/or
 * HTTP Basic (RFC 6749 §2.3.1: both parts form-urlencoded before base64).
 */
export function clientCredentials(
  request: FastifyRequest,
  body: { client_id?: string | undefined; client_secret?: string | undefined },
): ClientCredentials {
  return { body: { clientId: body.client_id, clientSecret: body.client_secret }, basic: basicCredentials(request) };
}

function basicCredentials(request: FastifyRequest): { clientId: string; clientSecret: string } | undefined {
  const header = request.headers.authorization;
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidRequest('The Basic authorization header must hold client_id:client_secret.');
  let credentials;
  try {
    credentials = {
      clientId: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
    };
  } catch {
    throw invalidRequest('The Basic authorization header is not correctly encoded.');
  }
  // A NUL cannot be in any client id or secret (and Postgres text cannot hold one).
  if (credentials.clientId.includes('\u0000') || credentials.clientSecret.includes('\u0000')) {
    throw invalidRequest('The Basic authorization header is not correctly encoded.');
  }
  return credentials;
}

/** The token of `Authorization: Bearer <token>` (prefix in any case), or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}
