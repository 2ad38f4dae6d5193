import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { descriptions, missingParameter, OAuthError } from '../../errors.js';
import { grantFor } from '../../oauth/grants/index.js';
import { introspect } from '../../oauth/introspection.js';
import { revoke } from '../../oauth/revocation.js';
import { Empty, Introspection, json, oauthError, Token } from '../answers.js';
import { clientCredentials } from '../client-auth.js';
import { shapeOf } from '../parameters.js';
import { oauthParams } from '../params.js';
import { declareRoute, route } from '../route.js';

export const tokenShape = shapeOf(
  'client_id',
  'client_secret',
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'scope',
  'refresh_token',
  'resource',
);
export const revokeShape = shapeOf('client_id', 'client_secret', 'token', 'token_type_hint');
export const introspectShape = revokeShape;

export const TOKEN = route({
  method: 'POST',
  url: '/oauth/token',
  audience: 'api',
  tag: 'OAuth',
  operationId: 'token',
  summary: 'Obtain a token',
  security: 'client',
  params: tokenShape,
  required: ['grant_type'],
  responses: {
    200: json(Token, 'The token (Cache-Control: no-store).'),
    400: oauthError(
      'invalid_request, invalid_grant, invalid_scope, invalid_target, unauthorized_client or unsupported_grant_type.',
    ),
    401: { ...oauthError('invalid_client'), headers: ['WWW-Authenticate'] },
  },
  rateLimit: 'token',
});

export const REVOKE = route({
  method: 'POST',
  url: '/oauth/revoke',
  audience: 'api',
  tag: 'OAuth',
  operationId: 'revoke',
  summary: 'Revoke a token (RFC 7009)',
  description: 'Revoking a refresh token revokes its access tokens. Unknown tokens are fine (200).',
  security: 'client',
  params: revokeShape,
  required: ['token'],
  responses: {
    200: json(Empty, 'Revoked, or nothing to revoke.'),
    403: oauthError('unauthorized_client: another client’s token, or no valid client credentials.'),
  },
  rateLimit: 'token',
});

export const INTROSPECT = route({
  method: 'POST',
  url: '/oauth/introspect',
  audience: 'api',
  tag: 'OAuth',
  operationId: 'introspect',
  summary: 'What a token is (RFC 7662)',
  description:
    'A client sees its own tokens; an app created with `apps:create --resource-server` sees every token bound to none of the resources or to one of its own. Public clients may not introspect.',
  security: 'client',
  params: introspectShape,
  required: ['token'],
  responses: {
    200: json(Introspection, '`{"active": false}` for anything not live or not visible.'),
    401: oauthError('invalid_client'),
  },
  rateLimit: 'token',
});

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export async function tokenRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  // Token answers carry secrets: never cached anywhere (RFC 6749 §5.1).
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(NO_STORE);
    done(null, payload);
  });

  declareRoute(app, TOKEN, async (request) => {
    const params = oauthParams(request, tokenShape);
    if (!params.grant_type) throw missingParameter('grant_type');
    const grant = grantFor(deps.config, params.grant_type);
    if (!grant) throw new OAuthError('unsupported_grant_type', descriptions.unsupported_grant_type, 400);
    const issued = await grant.issue(deps, { client: clientCredentials(request, params), params, address: request.ip });
    deps.metrics.tokensIssued.inc({ grant: params.grant_type });
    return issued;
  });

  declareRoute(app, REVOKE, async (request) => {
    const params = oauthParams(request, revokeShape);
    await revoke(deps, clientCredentials(request, params), params.token, request.ip);
    return {};
  });

  declareRoute(app, INTROSPECT, async (request) => {
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
