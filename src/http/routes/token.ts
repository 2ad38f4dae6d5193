import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { describe, missingParameter, OAuthError } from '../../errors.js';
import { authenticateClient } from '../../oauth/clients.js';
import { authorizationCodeGrantFor, clientCredentialsGrantFor, introspectFor, refreshTokenGrant, revoke } from '../../oauth/tokens.js';
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

  const authenticate = (request: FastifyRequest, params: { client_id?: string | undefined; client_secret?: string | undefined }) =>
    authenticateClient(deps, clientCredentials(request, params));

  app.post('/oauth/token', async (request) => {
    const params = oauthParams(request, tokenShape);
    if (!params.grant_type) throw missingParameter('grant_type');
    const refreshOn = deps.config.accessTokenTtl !== undefined;
    if (!['authorization_code', 'client_credentials', ...(refreshOn ? ['refresh_token'] : [])].includes(params.grant_type)) {
      throw new OAuthError('unsupported_grant_type', describe.unsupported_grant_type, 400);
    }
    // the hot grants check the client in the same statement that issues the token
    const grant = params.grant_type;
    const issued =
      grant === 'client_credentials'
        ? await clientCredentialsGrantFor(deps, clientCredentials(request, params), params, request.ip)
        : grant === 'authorization_code'
          ? await authorizationCodeGrantFor(deps, clientCredentials(request, params), params, request.ip)
          : await refreshTokenGrant(deps, await authenticate(request, params), params, request.ip);
    deps.metrics.tokensIssued.inc({ grant });
    return issued;
  });

  app.post('/oauth/revoke', async (request) => {
    const params = oauthParams(request, revokeShape);
    let client;
    try {
      client = await authenticate(request, params);
    } catch (err) {
      // Mastodon answers every client-authentication failure here with 403 unauthorized_client.
      if (err instanceof OAuthError && err.code === 'invalid_client') {
        throw new OAuthError('unauthorized_client', describe.unauthorized_client, 403);
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
      answer = await introspectFor(deps, clientCredentials(request, params), params.token);
    } catch (err) {
      deps.metrics.introspections.inc({ result: 'refused' });
      throw err;
    }
    deps.metrics.introspections.inc({ result: answer.active ? 'active' : 'inactive' });
    return answer;
  });
}
