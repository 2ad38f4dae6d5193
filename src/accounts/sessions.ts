import type { Deps } from '../deps.js';
import { OAuthError } from '../errors.js';
import { recordEvent } from '../oauth/audit.js';
import { hashSecret, randomToken } from '../secrets.js';
import { countFailedSignIns } from '../store/audit.js';
import { deleteSession, findSessionUser, insertSession } from '../store/sessions.js';
import { findUserByLogin, type UserRow } from '../store/users.js';
import { DECOY_HASH, verifyPassword } from './passwords.js';

/** How long a sign-in lasts. */
export const SESSION_LIFETIME_SECONDS = 14 * 24 * 3600;
const THROTTLE_WINDOW_MS = 15 * 60 * 1000;

export class SignInFailed extends Error {
  constructor() {
    super('Invalid username or password.');
  }
}

export class SignInThrottled extends OAuthError {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many requests', undefined, 429);
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
  if (deps.config.rateLimit.enabled) {
    const limit = deps.config.rateLimit.signIn;
    const failures = await countFailedSignIns(deps.db, account, input.address, new Date(now.getTime() - THROTTLE_WINDOW_MS));
    if (failures.byAccount >= limit || failures.byAddress >= limit * 5) {
      await recordEvent(deps, deps.db, { event: 'sign_in.throttled', username: account, address: input.address });
      throw new SignInThrottled(THROTTLE_WINDOW_MS / 1000);
    }
  }
  // Verify even for unknown names, so the answer takes as long either way.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DECOY_HASH);
  if (!user || !ok) {
    await recordEvent(deps, deps.db, { event: 'sign_in.failed', username: account, userId: user?.id, address: input.address });
    throw new SignInFailed();
  }
  const sessionId = randomToken();
  await deps.db.transaction(async (tx) => {
    await insertSession(tx, {
      sessionHash: hashSecret(sessionId),
      userId: user.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_LIFETIME_SECONDS * 1000),
      address: input.address,
    });
    await recordEvent(deps, tx, { event: 'sign_in.succeeded', username: user.username, userId: user.id, address: input.address });
  });
  return { sessionId, user };
}

export function currentUser(deps: Pick<Deps, 'db' | 'clock'>, sessionId: string): Promise<UserRow | undefined> {
  return findSessionUser(deps.db, hashSecret(sessionId), deps.clock());
}

export function signOut(deps: Pick<Deps, 'db'>, sessionId: string): Promise<void> {
  return deleteSession(deps.db, hashSecret(sessionId));
}
