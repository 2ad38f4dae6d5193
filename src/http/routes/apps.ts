import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { OAuthError } from '../../errors.js';
import { applicationEntity, registeredApplicationEntity } from '../../oauth/application-entity.js';
import { registerApplication } from '../../oauth/applications.js';
import { checkBearer } from '../../oauth/bearer.js';
import { bearerToken } from '../client-auth.js';
import { apiParams, one, oneOrMany } from '../params.js';

export const registerAppShape = {
  client_name: one.optional(),
  redirect_uris: oneOrMany.optional(),
  scopes: oneOrMany.optional(),
  website: one.optional(),
};

export async function appsRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.post('/api/v1/apps', async (request, reply) => {
    if (deps.config.appRegistration === 'closed') {
      throw new OAuthError('forbidden', 'Application registration is closed on this server; ask its operator for a client.', 403);
    }
    const params = apiParams(request, registerAppShape);
    const { app: created, clientSecret } = await registerApplication(deps, params);
    reply.header('Cache-Control', 'no-store');
    return registeredApplicationEntity(created, clientSecret);
  });

  app.get('/api/v1/apps/verify_credentials', async (request) => {
    const { app: owner } = await checkBearer(deps, bearerToken(request));
    return applicationEntity(owner);
  });
}
