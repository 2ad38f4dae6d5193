import type { Deps } from '../../deps.js';
import type { TokenResponse } from '../access-tokens.js';
import type { ClientCredentials } from '../clients.js';

/** One request to the token endpoint, as http/ read it: the client's credentials (read once) and the parameters. */
export interface TokenRequest {
  client: ClientCredentials;
  params: {
    code?: string | undefined;
    redirect_uri?: string | undefined;
    code_verifier?: string | undefined;
    scope?: string | undefined;
    refresh_token?: string | undefined;
    resource?: string | undefined;
  };
  /** The caller's address, for the audit trail. */
  address: string | null;
}

/** One grant type of the token endpoint (one file in grants/, one line in its table). */
export interface Grant {
  /** Whether this server offers it with these settings. */
  offered(config: Deps['config']): boolean;
  issue(deps: Deps, request: TokenRequest): Promise<TokenResponse>;
}

/**
 * Counts which way a grant ran: `fast` (its one statement did the work) or `fallback`, with the
 * one reason the fast statement did not. Tests read the counter to tell the paths apart.
 */
export function countPath(deps: Pick<Deps, 'metrics'>, grant: string, path: 'fast' | 'fallback', reason: string): void {
  deps.metrics.tokenPaths.inc({ grant, path, reason });
}
