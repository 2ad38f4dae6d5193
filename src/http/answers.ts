import { z } from 'zod';
import type { Answer } from './route.js';

// What the endpoints answer. The services build these as plain objects; declareRoute checks each
// JSON route's handler against its 200 schema, and the OpenAPI document shows them.
export const OAuthErrorBody = z
  .object({ error: z.string().meta({ example: 'invalid_grant' }), error_description: z.string().optional() })
  .meta({ description: 'An OAuth error (RFC 6749 §5.2).' });
export const MastodonErrorBody = z
  .object({ error: z.string().meta({ example: 'The access token is invalid' }) })
  .meta({ description: 'Mastodon’s error.' });
export const Application = z.object({
  id: z.string(),
  name: z.string(),
  website: z.string().nullable(),
  scopes: z.array(z.string()),
  redirect_uri: z.string().meta({ description: 'The redirect URIs joined by newlines.' }),
  redirect_uris: z.array(z.string()),
});
export const CredentialApplication = Application.extend({
  client_id: z.string(),
  client_secret: z.string(),
  client_secret_expires_at: z.literal(0),
});
export const Token = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  scope: z.string(),
  created_at: z.number().int().meta({ description: 'Unix seconds.' }),
  expires_in: z.number().int().optional().meta({ description: 'Seconds; only while ACCESS_TOKEN_TTL is set.' }),
  refresh_token: z.string().optional().meta({ description: 'Only while ACCESS_TOKEN_TTL is set, for user tokens.' }),
});
export const Introspection = z.object({
  active: z.boolean(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  token_type: z.literal('Bearer').optional(),
  iat: z.number().int().optional(),
  exp: z.number().int().optional(),
  sub: z.string().optional().meta({ description: 'The user id (user tokens only).' }),
  username: z.string().optional(),
  iss: z.string().optional(),
  aud: z.string().optional().meta({ description: 'The resource (RFC 8707) the token is bound to.' }),
});
/** RFC 7591 §3.2.1: what registration answers. */
export const ClientInformation = z.object({
  client_id: z.string(),
  client_id_issued_at: z.number().int(),
  client_secret: z.string().optional().meta({ description: 'Confidential clients only; shown only now.' }),
  client_secret_expires_at: z.literal(0).optional().meta({ description: 'Confidential clients only: never.' }),
  client_name: z.string(),
  client_uri: z.string().optional(),
  logo_uri: z.string().optional(),
  redirect_uris: z.array(z.string()),
  scope: z.string(),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']),
  grant_types: z.array(z.string()),
  response_types: z.array(z.string()),
});
const Role = z.object({
  id: z.string(),
  name: z.string(),
  permissions: z.string(),
  color: z.string(),
  highlighted: z.boolean(),
});
export const Account = z
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
  .meta({
    description:
      'Mastodon’s CredentialAccount: the user’s name and creation day, a new empty account’s values otherwise.',
  });
export const UserInfo = z.object({
  iss: z.string(),
  sub: z.string(),
  name: z.string(),
  preferred_username: z.string(),
});
export const ServerMetadata = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  app_registration_endpoint: z.string(),
  registration_endpoint: z.string().optional().meta({ description: 'RFC 7591; only while registration is open.' }),
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
  client_id_metadata_document_supported: z.boolean(),
  authorization_response_iss_parameter_supported: z.boolean(),
});
export const Health = z.object({
  status: z.string(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});
/** What a rate-limited API route answers past its limit (http/rate-limits.ts). */
export const TooManyRequestsBody = z.object({ error: z.literal('Too many requests') });
/** What revocation answers: an empty object. */
export const Empty = z.object({}).strict().meta({ maxProperties: 0 });

export const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, json: schema });
export const html = (description: string) => ({ description, html: true as const });
export const redirect = (description: string) => ({ description, redirect: true as const });
export const oauthError = (description: string): Answer => json(OAuthErrorBody, description);
export const mastodonError = (description: string): Answer => json(MastodonErrorBody, description);
/** What every page answers on bad input or a missing CSRF token. */
export const PAGE_ERRORS = {
  400: html('The error page.'),
  403: html('Missing or wrong CSRF token: nothing done.'),
} as const;
