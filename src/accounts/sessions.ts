import type { Deps } from '../deps.js';
import { OAuthError } from '../errors.js';
import { recordEvent } from '../audit/trail.js';
import { hashSecret, randomToken } from '../secrets.js';
import { deleteSession, findSessionUser, insertSession } from '../store/sessions.js';
import { countSignInAttempt, uncountSignInAttempt } from '../store/sign-in-attempts.js';
import { findUserByLogin, replacePasswordHash, type UserRow } from '../store/users.js';
import { DECOY_HASH, hashPassword, needsRehash, verifyPassword } from './passwords.js';

/** How long a sign-in lasts. */
export const SESSION_LIFETIME_SECONDS = 14 * 24 * 3600;
const THROTTLE_WINDOW_MS = 15 * 60 * 1000;

export class SignInFailed extends OAuthError {
  constructor() {
    super('access_denied', 'Invalid username or password.', 401);
  }
}

export class SignInThrottled extends OAuthError {
  constructor(readonly retryAfterSeconds: number) {
    super('too_many_requests', undefined, 429, 'Too many requests');
  }
}

/**
 * Checks the name (or e-mail) and password and starts a fresh session. The caller replaces any
 * old session cookie with the returned id, so a session id planted before sign-in is useless after.
 */
export async function signIn(
  deps: Deps,
  input: { login: string; password: string; address: string },
): Promise<{ sessionId: string; user: UserRow }> {
  const now = deps.clock();
  const user = await findUserByLogin(deps.db, input.login);
  // Failures count against the account, not the string typed: its name and its e-mail are one account.
  const account = user?.username ?? input.login;
  const counted = deps.config.rateLimit.enabled ? await countAttempt(deps, account, input.address, now) : [];
  // Verify even for unknown names, so the answer takes as long either way.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DECOY_HASH);
  if (!user || !ok) {
    await recordEvent(deps, deps.db, {
      event: 'sign_in.failed',
      username: account,
      userId: user?.id,
      address: input.address,
    });
    throw new SignInFailed();
  }
  // a success is no guess: it does not count towards anyone's limit
  if (counted.length) await uncountSignInAttempt(deps.db, counted);
  // the one moment the password is at hand: bring a hash made with older parameters up to date
  if (needsRehash(user.passwordHash))
    await replacePasswordHash(deps.db, user.id, user.passwordHash, await hashPassword(input.password));
  const sessionId = randomToken();
  await deps.db.transaction(async (tx) => {
    await insertSession(tx, {
      sessionHash: hashSecret(sessionId),
      userId: user.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_LIFETIME_SECONDS * 1000),
      address: input.address,
    });
    await recordEvent(deps, tx, {
      event: 'sign_in.succeeded',
      username: user.username,
      userId: user.id,
      address: input.address,
    });
  });
  return { sessionId, user };
}

/**
 * Counts this attempt before its password is checked, in one statement, so that racing guesses
 * cannot all slip under the limit. Three limits: per account and address (`RATE_LIMIT_SIGN_IN`),
 * per account across all addresses (10×: someone who knows a user name cannot lock its owner out
 * from a few addresses), and per address across accounts (5×). Throws SignInThrottled past any;
 * returns the keys counted.
 */
async function countAttempt(deps: Deps, account: string, address: string, now: Date): Promise<string[]> {
  const limit = deps.config.rateLimit.signIn;
  const name = account.toLowerCase();
  const accountKey = `sign-in account ${name.length > 64 ? hashSecret(name) : name}`;
  const limits = new Map([
    [`${accountKey} ${address}`, limit],
    [accountKey, limit * 10],
    [`sign-in address ${address}`, limit * 5],
  ]);
  const counts = await countSignInAttempt(deps.db, [...limits.keys()], now, THROTTLE_WINDOW_MS);
  for (const [key, max] of limits) {
    const window = counts.get(key);
    if (window && window.count > max) {
      // a refused attempt checks no password, so it counts towards no limit (else a throttled
      // pair would still drive the account towards its ceiling)
      await uncountSignInAttempt(deps.db, [...limits.keys()]);
      await recordEvent(deps, deps.db, { event: 'sign_in.throttled', username: account, address });
      const left = window.windowStart.getTime() + THROTTLE_WINDOW_MS - now.getTime();
      throw new SignInThrottled(Math.max(1, Math.ceil(left / 1000)));
    }
  }
  return [...limits.keys()];
}

export function currentUser(deps: Pick<Deps, 'db' | 'clock'>, sessionId: string): Promise<UserRow | undefined> {
  return findSessionUser(deps.db, hashSecret(sessionId), deps.clock());
}

export function signOut(deps: Pick<Deps, 'db'>, sessionId: string): Promise<void> {
  return deleteSession(deps.db, hashSecret(sessionId));
}
