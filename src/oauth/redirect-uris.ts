/** Redirect URI rules: which URIs an app may register, and when a requested one matches. */
export const OOB_URI = 'urn:ietf:wg:oauth:2.0:oob';
const OOB_URIS = new Set([OOB_URI, `${OOB_URI}:auto`]);
/**
 * Schemes a browser keeps for itself (or that run script, or that no app can receive): a client
 * may never send the user's code there. Everything else is https, http or an app's own scheme.
 */
const FORBIDDEN_SCHEMES = new Set(
  [
    'about',
    'blob',
    'chrome',
    'chrome-extension',
    'data',
    'file',
    'filesystem',
    'ftp',
    'intent',
    'javascript',
    'jar',
    'vbscript',
    'view-source',
    'ws',
    'wss',
    'localhost',
  ].map((s) => `${s}:`),
);
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
  if (/\s/.test(uri)) return 'must not contain spaces';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(uri)) return 'must not contain control characters';
  // `scheme://authority/…`, or an app's private-use `com.example.app:/path` (RFC 8252 §7.1);
  // opaque URIs such as `myapp:callback` are refused
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(uri)?.[1];
  if (authority === undefined) return /^[a-z][a-z0-9+.-]*:\/[^/]/i.test(uri) ? undefined : 'must be an absolute URI';
  // checked on the URI as typed: `https:///x` would otherwise be read as `https://x/`
  if (!authority || !url.hostname) return 'must have a host';
  if (authority.includes('@') || url.username || url.password) return 'must not contain a user name or password';
  if (/[*%]/.test(authority) || url.hostname.includes('*')) return 'must not contain a wildcard';
  return undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]']);
/** Loopback hosts a native app may listen on with plain http (RFC 8252 §7.3, §8.3). */
const HTTP_HOSTS = new Set([...LOOPBACK, 'localhost']);

/**
 * Why a URI cannot be registered by a client on its own (RFC 7591 registration, metadata documents),
 * or undefined when it can. Stricter than an operator's or Mastodon's registration (RFC 8252, RFC 9700
 * §2.1): `https`; `http` only on loopback; or an app's private-use scheme. Never out-of-band.
 */
export function selfRegisteredRedirectUriProblem(uri: string): string | undefined {
  if (isOob(uri)) return 'must not be out-of-band';
  const problem = redirectUriProblem(uri);
  if (problem) return problem;
  const url = new URL(uri);
  if (url.protocol === 'http:' && !HTTP_HOSTS.has(url.hostname)) return 'must use https unless it is on loopback';
  return undefined;
}

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
