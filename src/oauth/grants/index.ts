import type { Config } from '../../config.js';
import { authorizationCode } from './authorization-code.js';
import { clientCredentials } from './client-credentials.js';
import type { Grant } from './grant.js';
import { refreshToken } from './refresh-token.js';

export type { Grant, TokenRequest } from './grant.js';
export { refreshTokensOn } from './refresh-token.js';

/** The token endpoint's grants by grant_type: a new grant is one file in this folder and one line here. */
export const GRANTS: Readonly<Record<string, Grant>> = {
  authorization_code: authorizationCode,
  client_credentials: clientCredentials,
  refresh_token: refreshToken,
};

/** The grant a grant_type names, when this server offers it (an own key only: no `__proto__` or `toString`). */
export function grantFor(config: Config, grantType: string): Grant | undefined {
  const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  return grant?.offered(config) ? grant : undefined;
}

/** The grant_types this server offers now, for the metadata document. */
export function offeredGrantTypes(config: Config): string[] {
  return Object.keys(GRANTS).filter((type) => GRANTS[type]!.offered(config));
}
