/**
 * The one error the services throw. `code` is always an RFC-style error code (RFC 6749, 6750);
 * `description` becomes error_description. Errors Mastodon answers as a bare `{"error": "<sentence>"}`
 * carry that sentence as `sentence`, which is then the whole answer.
 */
export class OAuthError extends Error {
  constructor(
    readonly code: string,
    readonly description: string | undefined,
    readonly status: number = 400,
    readonly sentence?: string,
  ) {
    super(sentence ?? description ?? code);
  }

  toJSON(): Record<string, string> {
    if (this.sentence !== undefined) return { error: this.sentence };
    return this.description === undefined
      ? { error: this.code }
      : { error: this.code, error_description: this.description };
  }
}

/** Wording from the seed (Mastodon's locale) where it gives one, RFC 6749's meaning elsewhere. */
export const descriptions = {
  invalid_client:
    'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  invalid_grant:
    'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  invalid_scope: 'The requested scope is invalid, unknown, or malformed.',
  unsupported_grant_type: 'The authorization grant type is not supported by the authorization server.',
  unsupported_response_type: 'The authorization server does not support this response type.',
  unauthorized_client: 'You are not authorized to revoke this token',
  grant_not_allowed: 'This client is not allowed to use this grant type.',
  unusable_metadata_document: (reason: string) => `The client's metadata document cannot be used: ${reason}.`,
  pkce_required: 'A public client must use PKCE: send code_challenge with code_challenge_method=S256.',
  access_denied: 'The resource owner or authorization server denied the request.',
  invalid_redirect_uri: 'The redirect uri included is not valid.',
  missing: (name: string) => `Missing required parameter: ${name}.`,
  two_client_auth_methods: 'The request utilizes more than one mechanism for authenticating the client.',
  code_challenge_method: 'The code_challenge_method must be S256.',
} as const;

export const invalidClient = () => new OAuthError('invalid_client', descriptions.invalid_client, 401);
export const invalidGrant = () => new OAuthError('invalid_grant', descriptions.invalid_grant, 400);
export const invalidScope = () => new OAuthError('invalid_scope', descriptions.invalid_scope, 400);
export const invalidRequest = (description: string) => new OAuthError('invalid_request', description, 400);
export const missingParameter = (name: string) => invalidRequest(descriptions.missing(name));

/** Mastodon's bearer-token errors, answered as `{"error": "<sentence>"}`. */
const sentence = (code: string, status: number, words: string) => new OAuthError(code, undefined, status, words);
export const invalidToken = () => sentence('invalid_token', 401, 'The access token is invalid');
export const outsideScopes = () => sentence('insufficient_scope', 403, 'This action is outside the authorized scopes');
export const requiresUser = () => sentence('user_required', 422, 'This method requires an authenticated user');
export const validationFailed = (message: string) =>
  sentence('validation_failed', 422, `Validation failed: ${message}`);
export const tooManyRequests = () => sentence('too_many_requests', 429, 'Too many requests');
