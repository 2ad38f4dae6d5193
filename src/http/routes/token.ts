import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { descriptions, missingParameter, OAuthError } from '../../errors.js';
import { authenticateClient } from '../../oauth/clients.js';
import { grantFor } from '../../oauth/grants/index.js';
import { introspect } from '../../oauth/introspection.js';
import { revoke } from '../../oauth/revocation.js';
import { clientCredentials } from '../client-auth.js';
import { oauthParams, one, presentedToken } from '../params.js';

const clientShape = { client_id: one.optional(), client_secret: one.optional() };
export const tokenShape = {
  ...clientShape,
  grant_type: one.optional(),
  code: one.optional(),
  redirect_uri: one.optional(),
  code_verifier: one.optional(),
  scope: one.optional(),
  refresh_token: one.optional(),
};
export const revokeShape = { ...clientShape, token: presentedToken.optional(), token_type_hint: one.optional() };
export const introspectShape = revokeShape;

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export async function tokenRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  // Token answers carry secrets: never cached anywhere (RFC 6749 §5.1).
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(NO_STORE);
    done(null, payload);
  });

  app.post('/oauth/token', async (request) => {
    const params = oauthParams(request, tokenShape);
    if (!params.grant_type) throw missingParameter('grant_type');
    const grant = grantFor(deps.config, params.grant_type);
    if (!grant) throw new OAuthError('unsupported_grant_type', descriptions.unsupported_grant_type, 400);
    const issued = await grant.issue(deps, { client: clientCredentials(request, params), params, address: request.ip });
    deps.metrics.tokensIssued.inc({ grant: params.grant_type });
    return issued;
  });

  app.post('/oauth/revoke', async (request) => {
    const params = oauthParams(request, revokeShape);
    let client;
    try {
      client = await authenticateClient(deps, clientCredentials(request, params));
    } catch (err) {
      // Mastodon answers every client-authentication failure here with 403 unauthorized_client.
      if (err instanceof OAuthError && err.code === 'invalid_client') {
        throw new OAuthError('unauthorized_client', descriptions.unauthorized_client, 403);
      }
      throw err;
    }
    await revoke(deps, client, params.token, request.ip);
    return {};
  });

  app.post('/oauth/introspect', async (request) => {
    const params = oauthParams(request, introspectShape);
    let answer;
    try {
      answer = await introspect(deps, clientCredentials(request, params), params.token);
    } catch (err) {
      deps.metrics.introspections.inc({ result: 'refused' });
      throw err;
    }
    deps.metrics.introspections.inc({ result: answer.active ? 'active' : 'inactive' });
    return answer;
  });
}
