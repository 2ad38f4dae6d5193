/**
 * The one error the services throw. `code` is the RFC 6749 error code (or Mastodon's message for
 * errors Mastodon answers as a bare `{"error": "..."}`); `description` becomes error_description.
 */
export class OAuthError extends Error {
  constructor(
    readonly code: string,
    readonly description: string | undefined,
    readonly status: number = 400,
  ) {
    super(description ?? code);
  }

  toJSON(): Record<string, string> {
    return this.description === undefined ? { error: this.code } : { error: this.code, error_description: this.description };
  }
}

/** Wording from the seed (Mastodon's locale) where it gives one, RFC 6749's meaning elsewhere. */
export const describe = {
  invalid_client:
    'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  invalid_grant:
    'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  invalid_scope: 'The requested scope is invalid, unknown, or malformed.',
  unsupported_grant_type: 'The authorization grant type is not supported by the authorization server.',
  unsupported_response_type: 'The authorization server does not support this response type.',
  unauthorized_client: 'You are not authorized to revoke this token',
  access_denied: 'The resource owner or authorization server denied the request.',
  invalid_redirect_uri: 'The redirect uri included is not valid.',
  missing: (name: string) => `Missing required parameter: ${name}.`,
  two_client_auth_methods: 'The request utilizes more than one mechanism for authenticating the client.',
  code_challenge_method: 'The code_challenge_method must be S256.',
} as const;

export const invalidClient = () => new OAuthError('invalid_client', describe.invalid_client, 401);
export const invalidGrant = () => new OAuthError('invalid_grant', describe.invalid_grant, 400);
export const invalidScope = () => new OAuthError('invalid_scope', describe.invalid_scope, 400);
export const invalidRequest = (description: string) => new OAuthError('invalid_request', description, 400);
export const missingParameter = (name: string) => invalidRequest(describe.missing(name));

/** Mastodon's bearer-token errors, answered as `{"error": "<sentence>"}`. */
export const invalidToken = () => new OAuthError('The access token is invalid', undefined, 401);
export const outsideScopes = () => new OAuthError('This action is outside the authorized scopes', undefined, 403);
export const requiresUser = () => new OAuthError('This method requires an authenticated user', undefined, 422);
export const validationFailed = (message: string) => new OAuthError(`Validation failed: ${message}`, undefined, 422);
