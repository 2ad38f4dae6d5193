import type { FastifyInstance, FastifyRequest } from 'fastify';
import { credentialAccount } from '../../accounts/credential-account.js';
import type { Deps } from '../../deps.js';
import { outsideScopes, requiresUser } from '../../errors.js';
import { coversAll } from '../../oauth/scopes.js';
import { checkBearer } from '../../oauth/bearer.js';
import { bearerToken } from '../client-auth.js';

/** The bearer-token API of the signed-in user: Mastodon's verify_credentials and OIDC-style userinfo. */
export async function accountRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/api/v1/accounts/verify_credentials', async (request) => {
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
  app.get('/oauth/userinfo', userinfo);
  app.post('/oauth/userinfo', userinfo);
}
