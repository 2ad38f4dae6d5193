import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { OAuthError } from '../../errors.js';
import { registerClient } from '../../oauth/dynamic-registration.js';
import { ClientInformation, json, oauthError } from '../answers.js';
import { declareRoute, route } from '../route.js';

const uris = (description: string) => z.array(z.string()).optional().meta({ description });
const text = (description: string) => z.string().optional().meta({ description });

/** RFC 7591 client metadata: the fields read (any other is ignored). */
export const clientMetadataShape = {
  redirect_uris: uris(
    'Required unless grant_types is ["client_credentials"]. https, http only on loopback (any port), or an app’s own scheme; no fragment, userinfo or wildcard.',
  ),
  client_name: text('Shown on the consent page (at most 60 characters).'),
  client_uri: text('The client’s homepage, shown as its website.'),
  logo_uri: text('The client’s logo.'),
  scope: text('Space-separated scopes this server knows; default `read`.'),
  token_endpoint_auth_method: text(
    '`client_secret_basic` (default), `client_secret_post`, or `none`: a public client, no secret, PKCE S256 required.',
  ),
  grant_types: uris(
    'From `authorization_code`, `refresh_token`, `client_credentials` (not for a public client); default ["authorization_code"].',
  ),
  response_types: uris('`["code"]` (default while grant_types has authorization_code).'),
};

export const REGISTER_CLIENT = route({
  method: 'POST',
  url: '/oauth/register',
  audience: 'api',
  tag: 'OAuth',
  operationId: 'registerClient',
  summary: 'Register a client (RFC 7591)',
  description:
    'Dynamic client registration for standard OAuth clients (MCP clients among them); a JSON body. ' +
    'Closed (403 access_denied) when APP_REGISTRATION=closed. Mastodon clients use POST /api/v1/apps.',
  params: clientMetadataShape,
  bodyTypes: ['application/json'],
  responses: {
    201: json(
      ClientInformation,
      'The client id (and, unless public, its secret: shown only now) and the metadata as registered (Cache-Control: no-store).',
    ),
    400: oauthError('invalid_redirect_uri or invalid_client_metadata, naming the field.'),
    403: oauthError('access_denied: registration is closed on this server.'),
  },
  rateLimit: 'apps',
});

export async function registerRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  declareRoute(app, REGISTER_CLIENT, async (request, reply) => {
    if (deps.config.appRegistration === 'closed') {
      throw new OAuthError(
        'access_denied',
        'Client registration is closed on this server; ask its operator for a client.',
        403,
      );
    }
    const body = request.body;
    if (!request.headers['content-type']?.toLowerCase().startsWith('application/json') || !isObject(body)) {
      throw new OAuthError(
        'invalid_client_metadata',
        'The client metadata must be a JSON object (Content-Type: application/json).',
        400,
      );
    }
    const information = await registerClient(deps, body, request.ip);
    return reply.code(201).headers({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).send(information);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
