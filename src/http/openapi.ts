import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { ScopeCatalog } from '../oauth/scopes.js';
import { refreshTokensOn } from '../oauth/grants/index.js';
import { LIMITED_ROUTES } from './rate-limits.js';
import { registerAppShape } from './routes/apps.js';
import { authorizeShape, decisionShape } from './routes/authorize.js';
import { revokeGrantShape } from './routes/authorized-applications.js';
import { signInFormShape, signInShape, signOutShape } from './routes/sign-in.js';
import { introspectShape, revokeShape, tokenShape } from './routes/token.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Shape = Record<string, z.ZodType>;
type JsonSchema = Record<string, unknown>;

/**
 * A request's parameters as an OpenAPI 3.0 schema, from the very zod shape the route parses them
 * with; `required` and the descriptions are what the route checks and means beyond the types.
 */
function parametersSchema(shape: Shape, required: string[] = []): JsonSchema {
  const schema = z.toJSONSchema(z.object(shape), { target: 'openapi-3.0', io: 'input' }) as JsonSchema & { properties: Record<string, JsonSchema> };
  for (const [name, property] of Object.entries(schema.properties)) {
    if (PARAMETERS[name]) property.description = PARAMETERS[name];
  }
  return { ...schema, ...(required.length ? { required } : {}) };
}

const schemaOf = (type: z.ZodType): JsonSchema => z.toJSONSchema(type, { target: 'openapi-3.0', io: 'output' }) as JsonSchema;

const PARAMETERS: Record<string, string> = {
  client_id: 'The client id from app registration. Or send it with client_secret as HTTP Basic (not both).',
  client_secret: 'The client secret from app registration (client_secret_post).',
  grant_type: '`authorization_code`, `client_credentials`, or `refresh_token` (only while ACCESS_TOKEN_TTL is set).',
  code: 'The authorization code (grant_type=authorization_code); works once.',
  redirect_uri: 'Exactly one of the registered redirect URIs (`urn:ietf:wg:oauth:2.0:oob` shows the code on a page).',
  code_verifier: 'PKCE verifier, required when the authorization request carried a code_challenge.',
  scope: 'Scopes, space-separated (default `read`). With a refresh token: a narrower set, never wider.',
  refresh_token: 'The refresh token (grant_type=refresh_token); spent by the exchange.',
  token: 'An access token or refresh token.',
  token_type_hint: '`access_token` or `refresh_token` (optional, RFC 7009/7662).',
  client_name: 'The application name shown on the consent page.',
  redirect_uris:
    'One URI, several separated by newlines or spaces, or an array (repeated keys or `redirect_uris[]` in forms).',
  scopes: 'Space-separated string or array; every scope must be known. Default `read`.',
  website: 'The application’s homepage (optional).',
  response_type: 'Must be `code`.',
  state: 'Returned unchanged with the answer.',
  code_challenge: 'PKCE challenge: BASE64URL(SHA-256(code_verifier)), 43 characters.',
  code_challenge_method: 'Must be `S256` when code_challenge is sent.',
  force_login: 'True (read as Rails reads booleans: anything but `0`, `f`, `false`, `off` or empty): end any current sign-in and show the sign-in form first.',
  prompt: '`consent`: show the consent page even when consent is remembered.',
  lang: 'Preferred language (accepted for compatibility).',
  decision: '`authorize` or `deny`: the button the user pressed.',
  _csrf: 'The CSRF token of the form the page rendered.',
  username: 'User name or e-mail address.',
  password: 'The user’s password.',
  return_to: 'A path on this server to return to afterwards.',
};

// What the endpoints answer (the services build these as plain objects; these describe them).
const OAuthErrorBody = z
  .object({ error: z.string().meta({ example: 'invalid_grant' }), error_description: z.string().optional() })
  .meta({ description: 'An OAuth error (RFC 6749 §5.2).' });
const MastodonErrorBody = z.object({ error: z.string().meta({ example: 'The access token is invalid' }) }).meta({ description: 'Mastodon’s error.' });
const Application = z.object({
  id: z.string(),
  name: z.string(),
  website: z.string().nullable(),
  scopes: z.array(z.string()),
  redirect_uri: z.string().meta({ description: 'The redirect URIs joined by newlines.' }),
  redirect_uris: z.array(z.string()),
});
const CredentialApplication = Application.extend({
  client_id: z.string(),
  client_secret: z.string(),
  client_secret_expires_at: z.literal(0),
});
const Token = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  scope: z.string(),
  created_at: z.number().int().meta({ description: 'Unix seconds.' }),
  expires_in: z.number().int().optional().meta({ description: 'Seconds; only while ACCESS_TOKEN_TTL is set.' }),
  refresh_token: z.string().optional().meta({ description: 'Only while ACCESS_TOKEN_TTL is set, for user tokens.' }),
});
const Introspection = z.object({
  active: z.boolean(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  token_type: z.literal('Bearer').optional(),
  iat: z.number().int().optional(),
  exp: z.number().int().optional(),
  sub: z.string().optional().meta({ description: 'The user id (user tokens only).' }),
  username: z.string().optional(),
  iss: z.string().optional(),
});
const Role = z.object({ id: z.string(), name: z.string(), permissions: z.string(), color: z.string(), highlighted: z.boolean() });
const Account = z
  .object({
    id: z.string(),
    username: z.string(),
    acct: z.string(),
    display_name: z.string(),
    locked: z.boolean(),
    bot: z.boolean(),
    discoverable: z.boolean().nullable(),
    indexable: z.boolean(),
    group: z.boolean(),
    created_at: z.string().meta({ format: 'date-time', description: 'The day the account was created: midnight UTC.' }),
    note: z.string(),
    url: z.string().meta({ description: 'ISSUER/@username' }),
    uri: z.string().meta({ description: 'ISSUER/users/username' }),
    avatar: z.string(),
    avatar_static: z.string(),
    header: z.string(),
    header_static: z.string(),
    followers_count: z.number().int(),
    following_count: z.number().int(),
    statuses_count: z.number().int(),
    last_status_at: z.string().nullable(),
    hide_collections: z.boolean().nullable(),
    noindex: z.boolean(),
    emojis: z.array(z.object({})),
    roles: z.array(Role),
    fields: z.array(z.object({ name: z.string(), value: z.string(), verified_at: z.string().nullable() })),
    source: z.object({
      privacy: z.string(),
      sensitive: z.boolean(),
      language: z.string(),
      note: z.string(),
      fields: z.array(z.object({ name: z.string(), value: z.string() })),
      follow_requests_count: z.number().int(),
      hide_collections: z.boolean().nullable(),
      discoverable: z.boolean().nullable(),
      indexable: z.boolean(),
      attribution_domains: z.array(z.string()),
      quote_policy: z.string(),
    }),
    role: Role,
  })
  .meta({ description: 'Mastodon’s CredentialAccount: the user’s name and creation day, a new empty account’s values otherwise.' });
const Statuses = z.object({ max_characters: z.number().int(), max_media_attachments: z.number().int(), characters_reserved_per_url: z.number().int() });
const MediaLimits = z.object({
  supported_mime_types: z.array(z.string()),
  image_size_limit: z.number().int(),
  image_matrix_limit: z.number().int(),
  video_size_limit: z.number().int(),
  video_frame_rate_limit: z.number().int(),
  video_matrix_limit: z.number().int(),
});
const Polls = z.object({ max_options: z.number().int(), max_characters_per_option: z.number().int(), min_expiration: z.number().int(), max_expiration: z.number().int() });
const AccountLimits = z.object({ max_featured_tags: z.number().int(), max_pinned_statuses: z.number().int() });
const InstanceV1 = z
  .object({
    uri: z.string().meta({ description: 'The host of ISSUER.' }),
    title: z.string(),
    short_description: z.string(),
    description: z.string(),
    email: z.string(),
    version: z.string().meta({ example: '4.4.0 (compatible; Doorman 0.1.0)' }),
    urls: z.object({ streaming_api: z.string() }),
    stats: z.object({ user_count: z.number().int(), status_count: z.number().int(), domain_count: z.number().int() }),
    thumbnail: z.string(),
    languages: z.array(z.string()),
    registrations: z.boolean(),
    approval_required: z.boolean(),
    invites_enabled: z.boolean(),
    configuration: z.object({ accounts: AccountLimits, statuses: Statuses, media_attachments: MediaLimits, polls: Polls }),
    contact_account: z.null(),
    rules: z.array(z.object({ id: z.string(), text: z.string() })),
  })
  .meta({ description: 'Mastodon’s V1 Instance entity.' });
const InstanceV2 = z
  .object({
    domain: z.string().meta({ description: 'The host of ISSUER.' }),
    title: z.string(),
    version: z.string().meta({ example: '4.4.0 (compatible; Doorman 0.1.0)' }),
    source_url: z.string(),
    description: z.string(),
    usage: z.object({ users: z.object({ active_month: z.number().int() }) }),
    thumbnail: z.object({ url: z.string() }),
    icon: z.array(z.object({ src: z.string(), size: z.string() })),
    languages: z.array(z.string()),
    configuration: z.object({
      urls: z.object({ streaming: z.string(), status: z.string().nullable(), about: z.string(), privacy_policy: z.string().nullable(), terms_of_service: z.string().nullable() }),
      vapid: z.object({ public_key: z.string() }),
      accounts: AccountLimits,
      statuses: Statuses,
      media_attachments: MediaLimits.extend({ description_limit: z.number().int() }),
      polls: Polls,
      translation: z.object({ enabled: z.boolean() }),
      limited_federation: z.boolean(),
    }),
    registrations: z.object({
      enabled: z.boolean(),
      approval_required: z.boolean(),
      reason_required: z.boolean(),
      message: z.string().nullable(),
      min_age: z.number().int().nullable(),
      url: z.string().nullable(),
    }),
    api_versions: z.object({ mastodon: z.number().int() }),
    contact: z.object({ email: z.string(), account: z.null() }),
    rules: z.array(z.object({ id: z.string(), text: z.string() })),
  })
  .meta({ description: 'Mastodon’s Instance entity (V2).' });
const NodeInfoLinks = z.object({ links: z.array(z.object({ rel: z.string(), href: z.string() })) });
const NodeInfo = z
  .object({
    version: z.literal('2.0'),
    software: z.object({ name: z.literal('doorman'), version: z.string() }),
    protocols: z.array(z.string()),
    services: z.object({ outbound: z.array(z.string()), inbound: z.array(z.string()) }),
    usage: z.object({ users: z.object({ total: z.number().int(), activeMonth: z.number().int(), activeHalfyear: z.number().int() }), localPosts: z.number().int() }),
    openRegistrations: z.boolean(),
    metadata: z.object({ nodeName: z.string(), nodeDescription: z.string() }),
  })
  .meta({ description: 'NodeInfo 2.0.' });
const UserInfo = z.object({ iss: z.string(), sub: z.string(), name: z.string(), preferred_username: z.string() });
const ServerMetadata = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  app_registration_endpoint: z.string(),
  revocation_endpoint: z.string(),
  introspection_endpoint: z.string(),
  userinfo_endpoint: z.string(),
  service_documentation: z.string(),
  scopes_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
  response_modes_supported: z.array(z.string()),
  grant_types_supported: z.array(z.string()),
  code_challenge_methods_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
  revocation_endpoint_auth_methods_supported: z.array(z.string()),
  introspection_endpoint_auth_methods_supported: z.array(z.string()),
  authorization_response_iss_parameter_supported: z.boolean(),
});
const Health = z.object({ status: z.string(), error: z.string().optional(), error_description: z.string().optional() });

const SCHEMAS = {
  OAuthError: OAuthErrorBody,
  MastodonError: MastodonErrorBody,
  Application,
  CredentialApplication,
  Token,
  Introspection,
  Account,
  UserInfo,
  ServerMetadata,
  Health,
  InstanceV1,
  InstanceV2,
  NodeInfoLinks,
  NodeInfo,
};

const ref = (name: keyof typeof SCHEMAS | 'Empty') => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema, description: string) => ({ description, content: { 'application/json': { schema } } });
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const redirect = (description: string) => ({ description, headers: { Location: { schema: { type: 'string' } } } });
const oauthError = (description: string) => json(ref('OAuthError'), description);
const mastodonError = (description: string) => json(ref('MastodonError'), description);
const TOO_MANY = { $ref: '#/components/responses/TooManyRequests' };
const TOO_MANY_PAGE = { $ref: '#/components/responses/TooManyRequestsPage' };

/** Forms, multipart and JSON carry the same parameters (SPEC §3). */
function body(schema: JsonSchema) {
  return {
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema }, 'multipart/form-data': { schema }, 'application/json': { schema } },
  };
}

function query(shape: Shape, required: string[] = []) {
  const schema = parametersSchema(shape, required) as { properties: Record<string, JsonSchema> };
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...type } = property;
    return { name, in: 'query', required: required.includes(name), description, schema: type };
  });
}

// Client authentication: HTTP Basic, or client_id + client_secret in the body (no scheme).
const CLIENT = [{ clientBasic: [] }, {}];
const BEARER = [{ bearerToken: [] }, { oauth2: [] }];

/** The OpenAPI 3.0 document of every route the app serves. */
export function openApiDocument(config: Pick<Config, 'issuer' | 'accessTokenTtl'>, scopes: Pick<ScopeCatalog, 'known' | 'describe'>) {
  const scopeWords = Object.fromEntries(scopes.known.map((s) => [s, scopes.describe(s)]));
  const refreshOn = refreshTokensOn(config);
  const pageAnswers = { '400': html('The error page.'), '403': html('Missing or wrong CSRF token: nothing done.') };

  const paths = {
    '/api/v1/apps': {
      post: {
        tags: ['Apps'],
        operationId: 'registerApp',
        summary: 'Register a client application',
        description: 'Mastodon’s app registration. Closed (403) when APP_REGISTRATION=closed.',
        requestBody: body(parametersSchema(registerAppShape, ['client_name', 'redirect_uris'])),
        responses: {
          '200': json(ref('CredentialApplication'), 'The application, with its client id and secret (shown only now).'),
          '403': oauthError('Registration is closed on this server.'),
          '422': mastodonError('`Validation failed: …` naming the bad parameter.'),
        },
      },
    },
    '/api/v1/apps/verify_credentials': {
      get: {
        tags: ['Apps'],
        operationId: 'verifyAppCredentials',
        summary: 'The application a token belongs to',
        security: BEARER,
        responses: { '200': json(ref('Application'), 'The application.'), '401': mastodonError('Missing, unknown, revoked or expired token.') },
      },
    },
    '/oauth/authorize': {
      get: {
        tags: ['OAuth'],
        operationId: 'authorize',
        summary: 'Show the consent page (a browser page)',
        description:
          'Unknown client or redirect URI: an error page. Other bad parameters: a redirect to the client with `error`, `state` and `iss`. ' +
          'Not signed in: a redirect to the sign-in page. Remembered consent: a redirect with a code at once.',
        parameters: query(authorizeShape, ['response_type', 'client_id', 'redirect_uri']),
        responses: {
          '200': html('The consent page, with Authorize and Deny.'),
          '302': redirect('To the client (`code` or `error`, `state`, `iss`) or to the sign-in page.'),
          '400': html('Unknown client or redirect URI.'),
        },
      },
      post: {
        tags: ['OAuth'],
        operationId: 'decide',
        summary: 'The user’s answer on the consent page',
        requestBody: body(parametersSchema(decisionShape, ['client_id', 'redirect_uri', 'response_type', 'decision', '_csrf'])),
        responses: {
          '200': html('Out-of-band clients: the code in the element with id `authorization_code`.'),
          '302': redirect('To the client with `code` (or `error=access_denied`), `state` and `iss`.'),
          ...pageAnswers,
        },
      },
    },
    '/oauth/token': {
      post: {
        tags: ['OAuth'],
        operationId: 'token',
        summary: 'Obtain a token',
        security: CLIENT,
        requestBody: body(parametersSchema(tokenShape, ['grant_type'])),
        responses: {
          '200': json(ref('Token'), 'The token (Cache-Control: no-store).'),
          '400': oauthError('invalid_request, invalid_grant, invalid_scope or unsupported_grant_type.'),
          '401': { ...oauthError('invalid_client'), headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } },
        },
      },
    },
    '/oauth/revoke': {
      post: {
        tags: ['OAuth'],
        operationId: 'revoke',
        summary: 'Revoke a token (RFC 7009)',
        description: 'Revoking a refresh token revokes its access tokens. Unknown tokens are fine (200).',
        security: CLIENT,
        requestBody: body(parametersSchema(revokeShape, ['token'])),
        responses: {
          '200': json(ref('Empty'), 'Revoked, or nothing to revoke.'),
          '403': oauthError('unauthorized_client: another client’s token, or no valid client credentials.'),
        },
      },
    },
    '/oauth/introspect': {
      post: {
        tags: ['OAuth'],
        operationId: 'introspect',
        summary: 'What a token is (RFC 7662)',
        description: 'A client sees its own tokens; an app created with `apps:create --resource-server` sees every token.',
        security: CLIENT,
        requestBody: body(parametersSchema(introspectShape, ['token'])),
        responses: { '200': json(ref('Introspection'), '`{"active": false}` for anything not live or not visible.'), '401': oauthError('invalid_client') },
      },
    },
    '/oauth/userinfo': Object.fromEntries(
      (['get', 'post'] as const).map((method) => [
        method,
        {
          tags: ['Accounts'],
          operationId: `userinfo${method === 'get' ? '' : 'Post'}`,
          summary: 'The signed-in user, for a token holding the `profile` scope',
          security: BEARER,
          responses: {
            '200': json(ref('UserInfo'), 'The user.'),
            '401': mastodonError('Missing, unknown, revoked or expired token.'),
            '403': mastodonError('The token lacks the `profile` scope.'),
            '422': mastodonError('An app-level token (no user).'),
          },
        },
      ]),
    ),
    '/api/v1/accounts/verify_credentials': {
      get: {
        tags: ['Accounts'],
        operationId: 'verifyCredentials',
        summary: 'The user a token belongs to',
        security: BEARER,
        responses: {
          '200': json(ref('Account'), 'The user’s account.'),
          '401': mastodonError('Missing, unknown, revoked or expired token.'),
          '403': mastodonError('The token holds none of `read`, `read:accounts`, `profile`.'),
          '422': mastodonError('An app-level token (no user).'),
        },
      },
    },
    '/auth/sign_in': {
      get: {
        tags: ['Pages'],
        operationId: 'signInForm',
        summary: 'The sign-in form',
        parameters: query(signInFormShape),
        responses: { '200': html('The form: username (or e-mail), password, Log in.') },
      },
      post: {
        tags: ['Pages'],
        operationId: 'signIn',
        summary: 'Sign in',
        requestBody: body(parametersSchema(signInShape, ['username', 'password', '_csrf'])),
        responses: {
          '303': redirect('Signed in: back to return_to (a path on this server).'),
          '401': html('The form again, with one generic message.'),
          ...pageAnswers,
        },
      },
    },
    '/auth/sign_out': {
      post: {
        tags: ['Pages'],
        operationId: 'signOut',
        summary: 'Sign out',
        requestBody: body(parametersSchema(signOutShape, ['_csrf'])),
        responses: { '303': redirect('To the sign-in form.'), ...pageAnswers },
      },
    },
    '/oauth/authorized_applications': {
      get: {
        tags: ['Pages'],
        operationId: 'authorizedApplications',
        summary: 'The signed-in user’s authorized applications',
        responses: { '200': html('Each app with its scopes and a Revoke button.'), '302': redirect('Not signed in: to the sign-in form.') },
      },
      post: {
        tags: ['Pages'],
        operationId: 'revokeAuthorization',
        summary: 'Revoke every token the signed-in user holds for one app',
        requestBody: body(parametersSchema(revokeGrantShape, ['client_id', '_csrf'])),
        responses: { '303': redirect('Back to the list.'), ...pageAnswers },
      },
    },
    '/.well-known/oauth-authorization-server': {
      get: {
        tags: ['Server'],
        operationId: 'metadata',
        summary: 'Authorization server metadata (RFC 8414)',
        responses: { '200': json(ref('ServerMetadata'), 'Every endpoint and capability.') },
      },
    },
    '/api/v1/instance': {
      get: { tags: ['Server'], operationId: 'instanceV1', summary: 'The server, as Mastodon’s V1 Instance', responses: { '200': json(ref('InstanceV1'), 'Title, version, user count, Mastodon’s default limits.') } },
    },
    '/api/v2/instance': {
      get: { tags: ['Server'], operationId: 'instanceV2', summary: 'The server, as Mastodon’s Instance', responses: { '200': json(ref('InstanceV2'), 'Title, version, api_versions, user count, Mastodon’s default configuration.') } },
    },
    '/.well-known/nodeinfo': {
      get: { tags: ['Server'], operationId: 'nodeinfoLinks', summary: 'Where the NodeInfo document is', responses: { '200': json(ref('NodeInfoLinks'), 'A link to /nodeinfo/2.0.') } },
    },
    '/nodeinfo/2.0': {
      get: { tags: ['Server'], operationId: 'nodeinfo', summary: 'NodeInfo 2.0', responses: { '200': json(ref('NodeInfo'), 'Software doorman, its version and the user count.') } },
    },
    '/avatars/original/missing.png': {
      get: { tags: ['Server'], operationId: 'defaultAvatar', summary: 'The avatar of every account', responses: { '200': { description: 'PNG.', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } } } },
    },
    '/headers/original/missing.png': {
      get: { tags: ['Server'], operationId: 'defaultHeader', summary: 'The header image of every account', responses: { '200': { description: 'PNG.', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } } } },
    },
    '/openapi.json': {
      get: { tags: ['Server'], operationId: 'openapi', summary: 'This document', responses: { '200': json({ type: 'object' }, 'OpenAPI 3.0.') } },
    },
    '/health': {
      get: {
        tags: ['Server'],
        operationId: 'health',
        summary: 'Whether the server and its database answer',
        responses: { '200': json(ref('Health'), '`{"status": "ok"}`'), '503': json(ref('Health'), 'The database does not answer.') },
      },
    },
    '/style.css': {
      get: { tags: ['Pages'], operationId: 'stylesheet', summary: 'The pages’ stylesheet', responses: { '200': { description: 'CSS.', content: { 'text/css': { schema: { type: 'string' } } } } } },
    },
    '/copy.js': {
      get: { tags: ['Pages'], operationId: 'copyScript', summary: 'The code page’s Copy button (the page works without it)', responses: { '200': { description: 'JavaScript.', content: { 'text/javascript': { schema: { type: 'string' } } } } } },
    },
    '/': {
      get: { tags: ['Pages'], operationId: 'home', summary: 'Sends people to their authorized applications', responses: { '302': redirect('To /oauth/authorized_applications.') } },
    },
  };

  // the rate-limited routes answer 429 past their limit (JSON, or the 429 page on pages)
  for (const route of LIMITED_ROUTES) {
    const [method, path] = route.split(' ') as [string, keyof typeof paths];
    const operation = (paths[path] as Record<string, { responses: Record<string, unknown> }>)[method.toLowerCase()]!;
    operation.responses['429'] = path.startsWith('/auth/') ? TOO_MANY_PAGE : TOO_MANY;
  }

  const retryAfter = { 'Retry-After': { description: 'Seconds until the limit resets.', schema: { type: 'integer' } } };
  return {
    openapi: '3.0.3',
    info: {
      title: 'Doorman',
      version: VERSION,
      description:
        'A standalone OAuth 2.0 authorization server that speaks Mastodon’s OAuth API. API routes answer JSON; ' +
        'page routes (tag Pages, and /oauth/authorize) answer HTML for a browser.',
    },
    servers: [{ url: config.issuer }],
    tags: [
      { name: 'Apps', description: 'Client registration (Mastodon).' },
      { name: 'OAuth', description: 'Authorization, tokens, revocation, introspection.' },
      { name: 'Accounts', description: 'The user behind a bearer token.' },
      { name: 'Pages', description: 'HTML pages for people (sign-in, consent, authorized apps).' },
      { name: 'Server', description: 'Discovery and health.' },
    ],
    paths,
    components: {
      schemas: { ...Object.fromEntries(Object.entries(SCHEMAS).map(([name, type]) => [name, schemaOf(type)])), Empty: { type: 'object', maxProperties: 0 } },
      responses: {
        TooManyRequests: { ...json({ type: 'object', properties: { error: { type: 'string', enum: ['Too many requests'] } }, required: ['error'] }, 'Past a rate limit.'), headers: retryAfter },
        TooManyRequestsPage: { ...html('Past a rate limit: the 429 page.'), headers: retryAfter },
      },
      securitySchemes: {
        clientBasic: { type: 'http', scheme: 'basic', description: 'client_id:client_secret (client_secret_basic); or both in the body (client_secret_post).' },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An access token.' },
        oauth2: {
          type: 'oauth2',
          description: 'The flows this server offers, for tools that fetch a token themselves.',
          flows: {
            authorizationCode: {
              authorizationUrl: `${config.issuer}/oauth/authorize`,
              tokenUrl: `${config.issuer}/oauth/token`,
              ...(refreshOn ? { refreshUrl: `${config.issuer}/oauth/token` } : {}),
              scopes: scopeWords,
            },
            clientCredentials: { tokenUrl: `${config.issuer}/oauth/token`, scopes: scopeWords },
          },
        },
      },
    },
  };
}
