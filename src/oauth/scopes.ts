/**
 * Mastodon's scopes and how they nest. A scope covers itself and every scope under it
 * (`read` covers `read:statuses`, `admin:read` covers `admin:read:accounts`); `push` and
 * `profile` stand alone. Registration, authorize and token all decide through this file.
 */
import type { KnownScopes } from '../deps.js';

const READ = [
  'accounts',
  'blocks',
  'bookmarks',
  'collections',
  'favourites',
  'filters',
  'follows',
  'lists',
  'mutes',
  'notifications',
  'search',
  'statuses',
];
const WRITE = [
  'accounts',
  'blocks',
  'bookmarks',
  'collections',
  'conversations',
  'favourites',
  'filters',
  'follows',
  'lists',
  'media',
  'mutes',
  'notifications',
  'reports',
  'statuses',
];
const ADMIN = [
  'accounts',
  'reports',
  'domain_allows',
  'domain_blocks',
  'ip_blocks',
  'email_domain_blocks',
  'canonical_email_blocks',
];

export const MASTODON_SCOPES: readonly string[] = [
  'read',
  'write',
  'follow',
  'push',
  'profile',
  ...READ.map((s) => `read:${s}`),
  ...WRITE.map((s) => `write:${s}`),
  'admin:read',
  'admin:write',
  ...ADMIN.map((s) => `admin:read:${s}`),
  ...ADMIN.map((s) => `admin:write:${s}`),
];

export const DEFAULT_SCOPE = 'read';

/** Plain words for the consent page. */
const WORDS: Record<string, string> = {
  read: 'Read all your account data',
  write: 'Change all your account data',
  follow: 'Follow, mute and block accounts',
  push: 'Receive push notifications',
  profile: 'Read only your basic profile (name and username)',
  'admin:read': 'Read all data on the server',
  'admin:write': 'Change all data on the server',
};

export class ScopeCatalog implements KnownScopes {
  readonly known: readonly string[];
  private readonly knownSet: ReadonlySet<string>;

  constructor(extra: readonly string[] = []) {
    this.known = [...new Set([...MASTODON_SCOPES, ...extra])];
    this.knownSet = new Set(this.known);
  }

  isKnown(scope: string): boolean {
    return this.knownSet.has(scope);
  }

  describe(scope: string): string {
    if (WORDS[scope]) return WORDS[scope];
    const [, parent, what] = /^(admin:read|admin:write|read|write):(.+)$/.exec(scope) ?? [];
    if (parent && what) {
      const verb = parent.endsWith('read') ? 'Read' : 'Change';
      return `${verb} your ${what.replaceAll('_', ' ')}${parent.startsWith('admin') ? ' (server administration)' : ''}`;
    }
    return `Use ${scope}`;
  }
}

/**
 * Splits a scope string ("read write", "read+write") or list into scopes, without duplicates,
 * in the order given. Returns undefined when something is not a well-formed scope token.
 */
export function parseScopes(input: string | readonly string[]): string[] | undefined {
  const parts = typeof input === 'string' ? input.split(/[ +]/) : input.flatMap((s) => s.split(' '));
  const scopes = [...new Set(parts.filter((s) => s !== ''))];
  // RFC 6749 §3.3 scope-token characters
  return scopes.every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) ? scopes : undefined;
}

/** Does the held scope grant the wanted one? */
export function covers(held: string, wanted: string): boolean {
  return held === wanted || (wanted.startsWith(`${held}:`) && held !== 'admin');
}

/**
 * May a token be given these wanted scopes (parsed; undefined when malformed) by one that holds
 * `held`: at least one, each known to this server and covered by a held one.
 */
export function grantable(
  held: readonly string[],
  wanted: string[] | undefined,
  known: Pick<KnownScopes, 'isKnown'>,
): wanted is string[] {
  return wanted !== undefined && wanted.length > 0 && coversAll(held, wanted) && wanted.every((s) => known.isKnown(s));
}

/** Is every wanted scope covered by one of the held scopes? */
export function coversAll(held: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((w) => held.some((h) => covers(h, w)));
}
