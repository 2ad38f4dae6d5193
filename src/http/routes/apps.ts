import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { OAuthError } from '../../errors.js';
import { applicationEntity, registeredApplicationEntity } from '../../oauth/application-entity.js';
import { registerApplication } from '../../oauth/applications.js';
import { checkBearer } from '../../oauth/bearer.js';
import { Application, CredentialApplication, json, mastodonError, oauthError } from '../answers.js';
import { bearerToken } from '../client-auth.js';
import { shapeOf } from '../parameters.js';
import { apiParams } from '../params.js';
import { declareRoute, route } from '../route.js';

export const registerAppShape = shapeOf('client_name', 'redirect_uris', 'scopes', 'website');

export const REGISTER_APP = route({
  method: 'POST',
  url: '/api/v1/apps',
  audience: 'api',
  tag: 'Apps',
  operationId: 'registerApp',
  summary: 'Register a client application',
  description: 'Mastodon’s app registration. Closed (403) when APP_REGISTRATION=closed.',
  params: registerAppShape,
  required: ['client_name', 'redirect_uris'],
  responses: {
    200: json(CredentialApplication, 'The application, with its client id and secret (shown only now).'),
    403: oauthError('Registration is closed on this server.'),
    422: mastodonError('`Validation failed: …` naming the bad parameter.'),
  },
  rateLimit: 'apps',
});

export const VERIFY_APP = route({
  method: 'GET',
  url: '/api/v1/apps/verify_credentials',
  audience: 'api',
  tag: 'Apps',
  operationId: 'verifyAppCredentials',
  summary: 'The application a token belongs to',
  security: 'bearer',
  responses: {
    200: json(Application, 'The application.'),
    401: mastodonError('Missing, unknown, revoked or expired token.'),
  },
});

export async function appsRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  declareRoute(app, REGISTER_APP, async (request, reply) => {
    if (deps.config.appRegistration === 'closed') {
      throw new OAuthError(
        'forbidden',
        'Application registration is closed on this server; ask its operator for a client.',
        403,
      );
    }
    const params = apiParams(request, registerAppShape);
    const { app: created, clientSecret } = await registerApplication(deps, params, request.ip);
    reply.header('Cache-Control', 'no-store');
    return registeredApplicationEntity(created, clientSecret);
  });

  declareRoute(app, VERIFY_APP, async (request) => {
    const { app: owner } = await checkBearer(deps, bearerToken(request));
    return applicationEntity(owner);
  });
}
