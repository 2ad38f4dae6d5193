import { one, oneOrMany, presentedToken } from './params.js';

/**
 * Every request parameter the routes read, once each, with what it means. A route's shape picks
 * these by name; the OpenAPI document shows the descriptions attached here, so a parameter means
 * the same wherever it is taken. (The description sits on the optional wrapper: params.ts knows
 * plain `one`s and `presentedToken`s by identity inside it.)
 */
const described = <T extends { meta(m: { description: string }): T }>(type: T, description: string): T =>
  type.meta({ description });

export const PARAMETERS = {
  client_id: described(
    one.optional(),
    'The client id from app registration. Or send it with client_secret as HTTP Basic (not both).',
  ),
  client_secret: described(one.optional(), 'The client secret from app registration (client_secret_post).'),
  grant_type: described(
    one.optional(),
    '`authorization_code`, `client_credentials`, or `refresh_token` (only while ACCESS_TOKEN_TTL is set).',
  ),
  code: described(one.optional(), 'The authorization code (grant_type=authorization_code); works once.'),
  redirect_uri: described(
    one.optional(),
    'Exactly one of the registered redirect URIs (`urn:ietf:wg:oauth:2.0:oob` shows the code on a page).',
  ),
  code_verifier: described(
    one.optional(),
    'PKCE verifier, required when the authorization request carried a code_challenge.',
  ),
  scope: described(
    one.optional(),
    'Scopes, space-separated (default `read`). With a refresh token: a narrower set, never wider.',
  ),
  resource: described(
    one.optional(),
    'RFC 8707: the URI of the API the token is for, as the operator registered it. At the token endpoint with a code or refresh token: the authorized one, or omitted.',
  ),
  refresh_token: described(one.optional(), 'The refresh token (grant_type=refresh_token); spent by the exchange.'),
  token: described(presentedToken.optional(), 'An access token or refresh token.'),
  token_type_hint: described(one.optional(), '`access_token` or `refresh_token` (optional, RFC 7009/7662).'),
  client_name: described(one.optional(), 'The application name shown on the consent page.'),
  redirect_uris: described(
    oneOrMany.optional(),
    'One URI, several separated by newlines or spaces, or an array (repeated keys or `redirect_uris[]` in forms).',
  ),
  scopes: described(
    oneOrMany.optional(),
    'Space-separated string or array; every scope must be known. Default `read`.',
  ),
  website: described(one.optional(), 'The application’s homepage (optional).'),
  response_type: described(one.optional(), 'Must be `code`.'),
  state: described(one.optional(), 'Returned unchanged with the answer.'),
  code_challenge: described(one.optional(), 'PKCE challenge: BASE64URL(SHA-256(code_verifier)), 43 characters.'),
  code_challenge_method: described(one.optional(), 'Must be `S256` when code_challenge is sent.'),
  force_login: described(
    one.optional(),
    'True (read as Rails reads booleans: anything but `0`, `f`, `false`, `off` or empty): end any current sign-in and show the sign-in form first.',
  ),
  // OpenID Connect's `prompt=consent`
  prompt: described(one.optional(), '`consent`: show the consent page even when consent is remembered.'),
  lang: described(one.optional(), 'Preferred language (accepted for compatibility).'),
  decision: described(one.optional(), '`authorize` or `deny`: the button the user pressed.'),
  _csrf: described(one.optional(), 'The CSRF token of the form the page rendered.'),
  username: described(one.optional(), 'User name or e-mail address.'),
  password: described(one.optional(), 'The user’s password.'),
  return_to: described(one.optional(), 'A path on this server to return to afterwards.'),
};

/** The named parameters, as a route's shape. */
export function shapeOf<K extends keyof typeof PARAMETERS>(...names: K[]): Pick<typeof PARAMETERS, K> {
  return Object.fromEntries(names.map((name) => [name, PARAMETERS[name]])) as Pick<typeof PARAMETERS, K>;
}
