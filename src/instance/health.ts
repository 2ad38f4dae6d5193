import type { Deps } from '../deps.js';
import { ping } from '../store/ping.js';

/** Whether this server can do its work now, which is whether its database answers (GET /health). */
export async function databaseAnswers(deps: Pick<Deps, 'db'>): Promise<boolean> {
  try {
    await ping(deps.db);
    return true;
  } catch {
    return false;
  }
}
