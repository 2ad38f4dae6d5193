import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { offeredGrantTypes } from '../../oauth/grants/index.js';
import { json, ServerMetadata } from '../answers.js';
import { CLIENT_AUTH_METHODS, PUBLIC_CLIENT_AUTH } from '../client-auth.js';
import { declareRoute, route } from '../route.js';

export const METADATA = route({
  method: 'GET',
  url: '/.well-known/oauth-authorization-server',
  audience: 'api',
  tag: 'Server',
  operationId: 'metadata',
  summary: 'Authorization server metadata (RFC 8414)',
  responses: { 200: json(ServerMetadata, 'Every endpoint and capability.') },
});

/** RFC 8414 server metadata: how strict clients discover every endpoint and capability. */
export async function metadataRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const issuer = deps.config.issuer;
  const secretMethods = CLIENT_AUTH_METHODS.map((method) => method.name);
  // public clients may get and revoke tokens; only a client with a secret may introspect
  const authMethods = [...secretMethods, PUBLIC_CLIENT_AUTH];
  const metadata = {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    app_registration_endpoint: `${issuer}/api/v1/apps`,
    ...(deps.config.appRegistration === 'open' ? { registration_endpoint: `${issuer}/oauth/register` } : {}),
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    service_documentation: `${issuer}/openapi.json`,
    scopes_supported: [...deps.scopes.known],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: offeredGrantTypes(deps.config),
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: secretMethods,
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
  };
  declareRoute(app, METADATA, async (_request, reply) => {
    reply.header('Cache-Control', 'public, max-age=900');
    return metadata;
  });
}
