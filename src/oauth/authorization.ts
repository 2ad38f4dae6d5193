import type { Deps } from '../deps.js';
import { descriptions, OAuthError } from '../errors.js';
import { hashSecret, randomToken } from '../secrets.js';
import type { ApplicationRow } from '../store/applications.js';
import { insertCode } from '../store/codes.js';
import { liveScopeSets } from '../store/tokens.js';
import type { UserRow } from '../store/users.js';
import { recordEvent } from '../audit/trail.js';
import { isPublic, lookUpClient, mayUseGrant } from './clients.js';
import { isS256Challenge } from './pkce.js';
import { isOob, matchesRegistered } from './redirect-uris.js';
import { requestedResource } from './resources.js';
import { coversAll, DEFAULT_SCOPE, grantable, parseScopes } from './scopes.js';

/** The authorize parameters as sent (each once, as a string). */
export interface AuthorizeParams {
  response_type?: string | undefined;
  client_id?: string | undefined;
  redirect_uri?: string | undefined;
  scope?: string | undefined;
  state?: string | undefined;
  code_challenge?: string | undefined;
  code_challenge_method?: string | undefined;
  resource?: string | undefined;
}

/** A request that passed every check: what the consent page shows and the code will carry. */
export interface AuthorizeRequest {
  app: ApplicationRow;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  codeChallenge: string | undefined;
  /** The resource (RFC 8707) the code and its token are for. */
  resource: string | undefined;
}

/** A problem to report back to the client at its redirect URI (the URI itself is trusted). */
export interface RedirectableError {
  redirectUri: string;
  state: string | undefined;
  error: OAuthError;
}

export type AuthorizeCheck = { ok: true; request: AuthorizeRequest } | { ok: false; redirect: RedirectableError };

/**
 * Checks an authorize request in the order of SPEC §3: the client and redirect URI first (a problem
 * there is thrown, to be shown as a page: never redirect to an unverified URI), then the rest
 * (returned, to be sent back to the client).
 */
export async function checkAuthorizeRequest(
  deps: Pick<Deps, 'db' | 'scopes' | 'clock' | 'config' | 'log' | 'clientMetadataCa'>,
  params: AuthorizeParams,
): Promise<AuthorizeCheck> {
  if (!params.client_id) throw new OAuthError('invalid_request', descriptions.missing('client_id'), 400);
  const app = await lookUpClient(deps, params.client_id, 400);
  if (!app) throw new OAuthError('invalid_client', descriptions.invalid_client, 400);
  if (!params.redirect_uri) throw new OAuthError('invalid_request', descriptions.missing('redirect_uri'), 400);
  if (!matchesRegistered(params.redirect_uri, app.redirectUris)) {
    throw new OAuthError('invalid_redirect_uri', descriptions.invalid_redirect_uri, 400);
  }
  const redirectUri = params.redirect_uri;
  const refuse = (error: OAuthError): AuthorizeCheck => ({
    ok: false,
    redirect: { redirectUri, state: params.state, error },
  });

  if (!params.response_type) return refuse(new OAuthError('invalid_request', descriptions.missing('response_type')));
  if (params.response_type !== 'code')
    return refuse(new OAuthError('unsupported_response_type', descriptions.unsupported_response_type));
  if (!mayUseGrant(app, 'authorization_code'))
    return refuse(new OAuthError('unauthorized_client', descriptions.grant_not_allowed));
  const scopes = parseScopes(params.scope || DEFAULT_SCOPE);
  if (!grantable(app.scopes, scopes, deps.scopes)) {
    return refuse(new OAuthError('invalid_scope', descriptions.invalid_scope));
  }
  if (params.code_challenge !== undefined || params.code_challenge_method !== undefined) {
    if (params.code_challenge_method !== 'S256')
      return refuse(new OAuthError('invalid_request', descriptions.code_challenge_method));
    if (!params.code_challenge || !isS256Challenge(params.code_challenge)) {
      return refuse(new OAuthError('invalid_request', 'The code_challenge must be 43 base64url characters (S256).'));
    }
  } else if (isPublic(app)) {
    // a public client has no secret: PKCE is what ties the code to it (RFC 9700 §2.1.1)
    return refuse(new OAuthError('invalid_request', descriptions.pkce_required));
  }
  let resource: string | undefined;
  try {
    resource = await requestedResource(deps, params.resource);
  } catch (err) {
    if (err instanceof OAuthError) return refuse(err);
    throw err;
  }
  return {
    ok: true,
    request: { app, redirectUri, scopes, state: params.state, codeChallenge: params.code_challenge, resource },
  };
}

/** Has the user already granted this app these scopes (or wider) for this resource, with a token still live? */
export async function hasRememberedConsent(
  deps: Pick<Deps, 'db' | 'clock'>,
  user: UserRow,
  request: AuthorizeRequest,
): Promise<boolean> {
  const granted = await liveScopeSets(deps.db, user.id, request.app.id, request.resource ?? null, deps.clock());
  return granted.some((held) => coversAll(held, request.scopes));
}

/** The user pressed Authorize (or consent was remembered): a fresh single-use code. */
export async function approve(deps: Deps, user: UserRow, request: AuthorizeRequest, address: string): Promise<string> {
  const code = randomToken();
  const now = deps.clock();
  await deps.db.transaction(async (tx) => {
    await insertCode(tx, hashSecret(code), {
      applicationId: request.app.id,
      userId: user.id,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      codeChallenge: request.codeChallenge ?? null,
      resource: request.resource ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.config.authorizationCodeTtl * 1000),
    });
    await recordEvent(deps, tx, {
      event: 'consent.granted',
      clientId: request.app.clientId,
      userId: user.id,
      username: user.username,
      address,
      detail: { scopes: request.scopes, ...(request.resource ? { resource: request.resource } : {}) },
    });
  });
  return code;
}

export async function deny(deps: Deps, user: UserRow, request: AuthorizeRequest, address: string): Promise<void> {
  await recordEvent(deps, deps.db, {
    event: 'consent.denied',
    clientId: request.app.clientId,
    userId: user.id,
    username: user.username,
    address,
  });
}

/**
 * Where the browser goes with the answer: the redirect URI with the answer's parameters added to
 * any query it already has, plus `iss` (RFC 9207) and `state` only when the client sent one.
 * Undefined for the out-of-band URI, whose answer is shown as a page instead.
 */
export function authorizationResponseUrl(
  issuer: string,
  redirectUri: string,
  state: string | undefined,
  answer: Record<string, string>,
): string | undefined {
  if (isOob(redirectUri)) return undefined;
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(answer)) url.searchParams.set(key, value);
  if (state !== undefined) url.searchParams.set('state', state);
  url.searchParams.set('iss', issuer);
  return url.href;
}
