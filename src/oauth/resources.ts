// Resource indicators (RFC 8707): the URIs of the APIs a token may be bound to.
import type { Deps } from '../deps.js';
import { OAuthError } from '../errors.js';
import { resourceExists } from '../store/resources.js';

const MAX_LENGTH = 2000;

/** Why a URI cannot name a resource, or undefined when it can: absolute, no fragment (RFC 8707 §2). */
export function resourceUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_LENGTH) return 'is too long';
  if (/\s/.test(uri)) return 'must not contain spaces';
  if (uri.includes('#')) return 'must not contain a fragment';
  try {
    new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(uri) ? undefined : 'must be an absolute URI';
}

export const invalidTarget = (description = 'The resource is not one this server issues tokens for.') =>
  new OAuthError('invalid_target', description, 400);

/** The resource a request names, checked: undefined when none; invalid_target when malformed or nobody registered it. */
export async function requestedResource(
  deps: Pick<Deps, 'db'>,
  resource: string | undefined,
): Promise<string | undefined> {
  if (resource === undefined) return undefined;
  if (resourceUriProblem(resource) || !(await resourceExists(deps.db, resource))) throw invalidTarget();
  return resource;
}
