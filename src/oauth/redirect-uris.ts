/** Redirect URI rules: which URIs an app may register, and when a requested one matches. */
export const OOB_URI = 'urn:ietf:wg:oauth:2.0:oob';
const OOB_URIS = new Set([OOB_URI, `${OOB_URI}:auto`]);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'localhost:']);
const MAX_LENGTH = 2000;

export function isOob(uri: string): boolean {
  return OOB_URIS.has(uri);
}

/** Why a URI cannot be registered, or undefined when it can. */
export function redirectUriProblem(uri: string): string | undefined {
  if (isOob(uri)) return undefined;
  if (uri.length > MAX_LENGTH) return 'is too long';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return 'uses a forbidden scheme';
  if (uri.includes('#')) return 'cannot contain a fragment';
  // opaque URIs such as `myapp:callback` have no authority part
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return 'must be an absolute URI';
  if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.hostname) return 'must have a host';
  if (/\s/.test(uri)) return 'must not contain spaces';
  return undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]']);

/**
 * The requested URI must equal a registered one exactly. The one exception (RFC 8252 §7.3):
 * for the loopback IP literals a native app may pick any port at run time.
 */
export function matchesRegistered(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true;
  const asLoopback = loopbackWithoutPort(requested);
  return asLoopback !== undefined && registered.some((r) => loopbackWithoutPort(r) === asLoopback);
}

function loopbackWithoutPort(uri: string): string | undefined {
  if (!uri.startsWith('http://')) return undefined;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (!LOOPBACK.has(url.hostname) || url.username || url.password) return undefined;
  url.port = '';
  return url.href;
}
