import type { Deps } from '../deps.js';
import { invalidToken } from '../errors.js';
import { hashSecret } from '../secrets.js';
import { findLiveToken } from '../store/tokens.js';
import { withOwner, type TokenWithOwner } from './token-owners.js';

/** The live token behind an `Authorization: Bearer` header, with its app and user (null for an app's own token), or 401. */
export async function checkBearer(
  deps: Pick<Deps, 'db' | 'clock' | 'owners'>,
  token: string | undefined,
): Promise<TokenWithOwner> {
  if (!token) throw invalidToken();
  const live = await findLiveToken(deps.db, hashSecret(token), deps.clock());
  const found = live && (await withOwner(deps, live));
  if (!found) throw invalidToken();
  return found;
}
