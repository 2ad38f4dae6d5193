import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../../errors.js';
import type { ClientAuthMethod, ClientAuthParts } from './method.js';

/** RFC 6749 §2.3.1 HTTP Basic: id and secret each form-urlencoded, then base64 together. */
export const clientSecretBasic: ClientAuthMethod = {
  name: 'client_secret_basic',
  parts,
};

function parts(request: FastifyRequest): ClientAuthParts | undefined {
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
