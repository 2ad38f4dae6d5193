import type { Deps } from '../deps.js';
import { DEFAULT_AVATAR_PATH, DEFAULT_HEADER_PATH } from '../instance/default-images.js';

/** The account a user token belongs to, as verify_credentials needs it. */
export interface AccountOwner {
  id: number;
  username: string;
  displayName: string | null;
  createdAt: Date;
}

/** Mastodon's role for a user who was given none (its built-in "everyone" role). */
const EVERYONE_ROLE = { id: '-99', name: '', permissions: '65536', color: '', highlighted: false } as const;

/** Mastodon shows when an account was created to the day: midnight UTC, with milliseconds. */
export function createdAtDay(createdAt: Date): string {
  const day = new Date(createdAt);
  day.setUTCHours(0, 0, 0, 0);
  return day.toISOString();
}

/**
 * Mastodon's CredentialAccount for a Doorman user: the fields Mastodon 4.4 sends, with what Doorman
 * holds (a name and a creation day) and a new, empty account's values for everything else, so clients
 * that decode the whole entity read it unchanged.
 */
export function credentialAccount(deps: Pick<Deps, 'config'>, owner: AccountOwner) {
  const issuer = deps.config.issuer;
  const avatar = `${issuer}${DEFAULT_AVATAR_PATH}`;
  const header = `${issuer}${DEFAULT_HEADER_PATH}`;
  return {
    id: String(owner.id),
    username: owner.username,
    acct: owner.username,
    display_name: owner.displayName ?? '',
    locked: false,
    bot: false,
    discoverable: null,
    indexable: false,
    group: false,
    created_at: createdAtDay(owner.createdAt),
    note: '',
    url: `${issuer}/@${owner.username}`,
    uri: `${issuer}/users/${owner.username}`,
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    followers_count: 0,
    following_count: 0,
    statuses_count: 0,
    last_status_at: null,
    hide_collections: null,
    noindex: false,
    emojis: [],
    roles: [],
    fields: [],
    source: {
      privacy: 'public',
      sensitive: false,
      language: '',
      note: '',
      fields: [],
      follow_requests_count: 0,
      hide_collections: null,
      discoverable: null,
      indexable: false,
      attribution_domains: [],
      quote_policy: 'public',
    },
    role: { ...EVERYONE_ROLE },
  };
}

export type CredentialAccount = ReturnType<typeof credentialAccount>;
