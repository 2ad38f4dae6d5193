/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): which client ids are
 * document URLs, and what a fetched document must hold before Doorman trusts it.
 *
 *   isMetadataDocumentClientId(clientId: string): boolean
 *     an `https` URL with a path other than `/`, no fragment, no user name or password, no `.` or
 *     `..` segments, written as the URL parser writes it (so the id compared with the document's
 *     `client_id` is the URL fetched).
 *   documentHost(url: string): string
 *     the host to show beside the name the document claims: `claude.ai`, `app.example:8443`.
 *   readMetadataDocument(clientId: string, document: unknown): ClientMetadata
 *     the client a fetched document describes; throws ClientMetadataError saying what is wrong.
 *
 * A document must be a JSON object whose `client_id` is its URL exactly; `redirect_uris` a non-empty
 * array of URIs a client may register on its own (https, http on loopback, or an app's own scheme);
 * `token_endpoint_auth_method` absent or `none` (such a client is public) and no client secret;
 * `client_name` (default: the host) at most 60 characters without control characters; `client_uri`
 * and `logo_uri` https URLs when given. Other fields are ignored.
 */
import { selfRegisteredRedirectUriProblem } from '../oauth/redirect-uris.js';
import { ClientMetadataError } from './error.js';

export interface ClientMetadata {
  clientId: string;
  /** The name the document claims, or the host when it claims none. */
  clientName: string;
  /** See documentHost: shown beside the name, as the document claims the name. */
  host: string;
  redirectUris: string[];
  clientUri: string | undefined;
  logoUri: string | undefined;
}

const MAX_URL_LENGTH = 2000;
const MAX_NAME_LENGTH = 60;

export function isMetadataDocumentClientId(clientId: string): boolean {
  if (clientId.length > MAX_URL_LENGTH || !clientId.startsWith('https://')) return false;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return false;
  }
  if (url.href !== clientId || clientId.includes('#') || url.username || url.password) return false;
  if (url.pathname === '/') return false;
  // the parser removes dot segments, so the href check above catches most; this says it outright
  const segments = url.pathname.split('/').map((s) => s.replace(/%2e/gi, '.'));
  return !segments.some((s) => s === '.' || s === '..');
}

export function documentHost(url: string): string {
  // URL.host leaves out the port when it is https's own, 443
  return new URL(url).host;
}

export function readMetadataDocument(clientId: string, document: unknown): ClientMetadata {
  const refuse = (reason: string): never => {
    throw new ClientMetadataError(reason);
  };
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    refuse('the document is not a JSON object');
  const fields = document as Record<string, unknown>;
  if (fields.client_id !== clientId) refuse("the document's client_id differs from its URL");
  if (fields.client_secret != null || fields.client_secret_expires_at != null)
    refuse('the document holds a client secret, which a metadata document must not');
  const method = fields.token_endpoint_auth_method;
  if (method != null && method !== 'none')
    refuse("the document's token_endpoint_auth_method is not none (only public clients may use a document)");

  const uris = fields.redirect_uris;
  if (!Array.isArray(uris) || !uris.length) refuse('the document has no redirect_uris');
  const redirectUris = (uris as unknown[]).map((uri, i) => {
    if (typeof uri !== 'string') return refuse(`the document's redirect_uris[${i}] is not a string`);
    const problem = selfRegisteredRedirectUriProblem(uri);
    return problem ? refuse(`the document's redirect_uris[${i}] ${problem}`) : uri;
  });

  const host = documentHost(clientId);
  return {
    clientId,
    clientName: nameOf(fields.client_name, refuse) ?? host,
    host,
    redirectUris,
    clientUri: httpsUrl('client_uri', fields.client_uri, refuse),
    logoUri: httpsUrl('logo_uri', fields.logo_uri, refuse),
  };
}

/** Control and formatting characters (line breaks, bidi overrides) could make a name pose as another. */
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function nameOf(value: unknown, refuse: (reason: string) => never): string | undefined {
  if (value == null) return undefined;
  if (typeof value !== 'string') return refuse("the document's client_name is not a string");
  const name = value.trim();
  if (CONTROL.test(name)) refuse("the document's client_name contains control characters");
  if ([...name].length > MAX_NAME_LENGTH)
    refuse(`the document's client_name is longer than ${MAX_NAME_LENGTH} characters`);
  return name || undefined;
}

function httpsUrl(field: string, value: unknown, refuse: (reason: string) => never): string | undefined {
  if (value == null) return undefined;
  if (typeof value === 'string' && value.length <= MAX_URL_LENGTH && value.startsWith('https://')) {
    try {
      const url = new URL(value);
      if (url.protocol === 'https:' && url.hostname && !url.username && !url.password) return value;
    } catch {
      // refused below
    }
  }
  return refuse(`the document's ${field} is not an https URL`);
}
