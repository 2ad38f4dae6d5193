import type { Deps } from '../deps.js';
import { findApplicationByClientId } from '../store/applications.js';
import { expireUnusedCodes } from '../store/codes.js';
import { listUserGrants, type GrantSummary } from '../store/token-grants.js';
import { revokeUserApplicationTokens } from '../store/tokens.js';
import type { UserRow } from '../store/users.js';
import { recordEvent } from '../audit/trail.js';

/** The apps a user has authorized and still holds live tokens for. */
export function listGrants(deps: Pick<Deps, 'db' | 'clock'>, user: UserRow): Promise<GrantSummary[]> {
  return listUserGrants(deps.db, user.id, deps.clock());
}

/**
 * Revokes every token the user holds for the app, and ends the user's codes for it that are not
 * redeemed yet (else one would still buy a token); the next authorize asks for consent again.
 */
export async function revokeGrant(deps: Deps, user: UserRow, clientId: string, address: string): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const app = await findApplicationByClientId(tx, clientId);
    if (!app) return 0;
    // codes first: a code redeemed meanwhile has its token revoked just below
    await expireUnusedCodes(tx, user.id, app.id, deps.clock());
    const revoked = await revokeUserApplicationTokens(tx, user.id, app.id, deps.clock());
    if (revoked > 0) {
      await recordEvent(deps, tx, {
        event: 'token.revoked',
        clientId,
        userId: user.id,
        username: user.username,
        address,
        detail: { revoked_tokens: revoked },
      });
    }
    return revoked;
  });
}
