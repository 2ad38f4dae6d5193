// RFC 7591 dynamic client registration: how standard OAuth clients (MCP clients among them)
// register themselves. Stricter than Mastodon's registration where a client vouches for itself.
import type { Deps } from '../deps.js';
import { OAuthError } from '../errors.js';
import { isWebUrl, NAME_LIMIT, storeApplication } from './applications.js';
import { selfRegisteredRedirectUriProblem } from './redirect-uris.js';
import { DEFAULT_SCOPE, parseScopes } from './scopes.js';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const MAX_REDIRECT_URIS = 20;
const REDIRECT_URIS_LIMIT = 2000;

/** RFC 7591 §3.2.1: the client's id (and secret, for a confidential client) and its metadata as registered. */
export interface ClientInformation {
  client_id: string;
  client_id_issued_at: number;
  client_secret?: string;
  client_secret_expires_at?: 0;
  client_name: string;
  client_uri?: string;
  logo_uri?: string;
  redirect_uris: string[];
  scope: string;
  token_endpoint_auth_method: (typeof AUTH_METHODS)[number];
  grant_types: string[];
  response_types: string[];
}

const badMetadata = (description: string) => new OAuthError('invalid_client_metadata', description, 400);
const badRedirectUri = (description: string) => new OAuthError('invalid_redirect_uri', description, 400);

/** Registers a client from its RFC 7591 metadata (unknown fields ignored); 400 naming the first bad field. */
export async function registerClient(
  deps: Pick<Deps, 'db' | 'clock' | 'scopes' | 'log'>,
  metadata: Record<string, unknown>,
  address: string | null,
): Promise<ClientInformation> {
  const method = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
  if (!AUTH_METHODS.includes(method as never))
    throw badMetadata(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}.`);
  const authMethod = method as ClientInformation['token_endpoint_auth_method'];

  const grantTypes = metadata.grant_types ?? ['authorization_code'];
  if (!isTextList(grantTypes) || grantTypes.length === 0 || !grantTypes.every((g) => GRANT_TYPES.includes(g as never)))
    throw badMetadata(`grant_types must be a list of ${GRANT_TYPES.join(', ')}.`);
  if (authMethod === 'none' && grantTypes.includes('client_credentials'))
    throw badMetadata('grant_types: a public client (token_endpoint_auth_method none) cannot use client_credentials.');
  const usesCode = grantTypes.includes('authorization_code');

  const responseTypes = metadata.response_types ?? (usesCode ? ['code'] : []);
  if (!isTextList(responseTypes) || responseTypes.some((t) => t !== 'code'))
    throw badMetadata('response_types must be ["code"].');
  if (usesCode !== responseTypes.includes('code'))
    throw badMetadata('response_types must be ["code"] exactly when grant_types has authorization_code.');

  const redirectUris = checkRedirectUris(metadata.redirect_uris, usesCode);

  const name = metadata.client_name ?? 'Unnamed application';
  if (!isText(name) || !name.trim() || name.trim().length > NAME_LIMIT)
    throw badMetadata(`client_name must be text of 1 to ${NAME_LIMIT} characters.`);
  const website = optionalUrl(metadata, 'client_uri');
  const logoUri = optionalUrl(metadata, 'logo_uri');

  const scope = metadata.scope ?? DEFAULT_SCOPE;
  const scopes = isText(scope) ? parseScopes(scope) : undefined;
  if (!scopes || scopes.length === 0 || !scopes.every((s) => deps.scopes.isKnown(s)))
    throw badMetadata('scope must be space-separated scopes this server knows.');

  const { app, clientSecret } = await storeApplication(
    deps,
    {
      name: name.trim(),
      website,
      logoUri,
      redirectUris,
      scopes,
      grantTypes,
      tokenEndpointAuthMethod: authMethod,
      registeredBy: 'dynamic_registration',
      resourceServer: false,
    },
    { address },
  );
  return {
    client_id: app.clientId,
    client_id_issued_at: Math.floor(app.createdAt.getTime() / 1000),
    ...(clientSecret === undefined ? {} : { client_secret: clientSecret, client_secret_expires_at: 0 as const }),
    client_name: app.name,
    ...(website ? { client_uri: website } : {}),
    ...(logoUri ? { logo_uri: logoUri } : {}),
    redirect_uris: app.redirectUris,
    scope: app.scopes.join(' '),
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
  };
}

function checkRedirectUris(value: unknown, required: boolean): string[] {
  if (value === undefined && !required) return [];
  if (!isTextList(value) || value.length === 0)
    throw badRedirectUri('redirect_uris must be a non-empty list of URIs (required for authorization_code).');
  const uris = [...new Set(value)];
  if (uris.length > MAX_REDIRECT_URIS || uris.join('\n').length > REDIRECT_URIS_LIMIT)
    throw badRedirectUri(
      `redirect_uris: at most ${MAX_REDIRECT_URIS} URIs of ${REDIRECT_URIS_LIMIT} characters in all.`,
    );
  for (const uri of uris) {
    const problem = selfRegisteredRedirectUriProblem(uri);
    if (problem) throw badRedirectUri(`redirect_uris: ${uri} ${problem}.`);
  }
  return uris;
}

function optionalUrl(metadata: Record<string, unknown>, field: 'client_uri' | 'logo_uri'): string | null {
  const value = metadata[field];
  if (value === undefined || value === null || value === '') return null;
  if (!isText(value) || !isWebUrl(value)) throw badMetadata(`${field} must be an http(s) URL.`);
  return value;
}

/** Text Postgres can hold (no NUL), of a sane length. */
function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 2000 && !value.includes('\u0000');
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 64 && value.every(isText);
}
