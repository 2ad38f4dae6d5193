import type { Deps } from '../deps.js';
import { ExpiringMap } from '../expiring-map.js';
import { findTokenOwner, type TokenOwner } from '../store/token-grants.js';
import type { LiveToken } from '../store/tokens.js';

/** A live token with the app and (for user tokens) the user it was issued to. */
export interface TokenWithOwner {
  token: LiveToken;
  app: TokenOwner['app'];
  user: TokenOwner['user'];
}

/**
 * How long an owner stays in memory. Nothing a bearer check shows of an app or a user changes
 * after it is created, and deleting either deletes its tokens, so a token that is still found live
 * never has a deleted owner: the bound only caps how long a hand-edited row may show stale text.
 * Whether a token is live (revoked, expired) is read from the database on every check, never here.
 */
export const OWNER_CACHE_MS = 60_000;
/** Enough for every app and user that is busy at one time; past it the oldest entries go. */
const OWNER_CACHE_ENTRIES = 10_000;

/** An empty owner cache, for Deps (one per database: ids repeat across databases). */
export function ownerCache(): ExpiringMap<TokenOwner> {
  return new ExpiringMap(OWNER_CACHE_MS, OWNER_CACHE_ENTRIES);
}

/**
 * Adds the token's owner, from memory when it was looked up in the last minute. A bearer check
 * then costs one indexed read of the token's own row instead of a three-table join.
 */
export async function withOwner(
  deps: Pick<Deps, 'db' | 'clock' | 'owners'>,
  token: LiveToken,
): Promise<TokenWithOwner | undefined> {
  const key = `${token.applicationId}:${token.userId ?? ''}`;
  const now = deps.clock().getTime();
  let owner = deps.owners.get(key, now);
  if (!owner) {
    owner = await findTokenOwner(deps.db, token.applicationId, token.userId);
    // deleted since the token was read (and its tokens with it)
    if (!owner || (token.userId !== null && owner.user === null)) return undefined;
    deps.owners.set(key, owner, now);
  }
  return { token, app: owner.app, user: owner.user };
}
