import type { FastifyInstance, FastifyRequest } from 'fastify';
import { credentialAccount } from '../../accounts/credential-account.js';
import type { Deps } from '../../deps.js';
import { outsideScopes, requiresUser } from '../../errors.js';
import { coversAll } from '../../oauth/scopes.js';
import { checkBearer } from '../../oauth/bearer.js';
import { Account, json, mastodonError, UserInfo } from '../answers.js';
import { bearerToken } from '../client-auth.js';
import { declareRoute, route } from '../route.js';

const BAD_TOKEN = mastodonError('Missing, unknown, revoked or expired token.');
const NO_USER = mastodonError('An app-level token (no user).');

const userinfoRoute = <M extends 'GET' | 'POST'>(method: M) =>
  route({
    method,
    url: '/oauth/userinfo',
    audience: 'api',
    tag: 'Accounts',
    operationId: method === 'GET' ? 'userinfo' : 'userinfoPost',
    summary: 'The signed-in user, for a token holding the `profile` scope',
    security: 'bearer',
    responses: {
      200: json(UserInfo, 'The user.'),
      401: BAD_TOKEN,
      403: mastodonError('The token lacks the `profile` scope.'),
      422: NO_USER,
    },
  });
export const USERINFO = userinfoRoute('GET');
export const USERINFO_POST = userinfoRoute('POST');

export const VERIFY_CREDENTIALS = route({
  method: 'GET',
  url: '/api/v1/accounts/verify_credentials',
  audience: 'api',
  tag: 'Accounts',
  operationId: 'verifyCredentials',
  summary: 'The user a token belongs to',
  security: 'bearer',
  responses: {
    200: json(Account, 'The user’s account.'),
    401: BAD_TOKEN,
    403: mastodonError('The token holds none of `read`, `read:accounts`, `profile`.'),
    422: NO_USER,
  },
});

/** The bearer-token API of the signed-in user: Mastodon's verify_credentials and OIDC-style userinfo. */
export async function accountRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  declareRoute(app, VERIFY_CREDENTIALS, async (request) => {
    const { token, user } = await checkBearer(deps, bearerToken(request));
    if (!coversAll(token.scopes, ['read:accounts']) && !token.scopes.includes('profile')) throw outsideScopes();
    if (!user) throw requiresUser();
    return credentialAccount(deps, user);
  });

  const userinfo = async (request: FastifyRequest) => {
    const { token, user } = await checkBearer(deps, bearerToken(request));
    if (!token.scopes.includes('profile')) throw outsideScopes();
    if (!user) throw requiresUser();
    return {
      iss: deps.config.issuer,
      sub: String(token.userId),
      name: user.displayName || user.username,
      preferred_username: user.username,
    };
  };
  declareRoute(app, USERINFO, userinfo);
  declareRoute(app, USERINFO_POST, userinfo);
}
