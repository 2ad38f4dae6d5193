import type { Deps } from '../deps.js';
import { countUsers } from '../accounts/users.js';
import { DEFAULT_AVATAR_PATH, DEFAULT_HEADER_PATH } from './default-images.js';
import { COMPATIBLE_VERSION, MASTODON_API_VERSION } from './software.js';

// Mastodon 4.4's limits as a default installation reports them. Doorman stores no statuses or media;
// clients read these to size their forms, so they get the values they expect from any server.
const STATUSES = { max_characters: 500, max_media_attachments: 4, characters_reserved_per_url: 23 };
const IMAGE_MIME_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/heic',
  'image/heif',
  'image/webp',
  'image/avif',
];
const VIDEO_MIME_TYPES = ['video/webm', 'video/mp4', 'video/quicktime', 'video/ogg'];
const AUDIO_MIME_TYPES = [
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wave',
  'audio/vnd.wave',
  'audio/ogg',
  'audio/vorbis',
  'audio/mpeg',
  'audio/mp3',
  'audio/webm',
  'audio/flac',
  'audio/aac',
  'audio/m4a',
  'audio/x-m4a',
  'audio/mp4',
  'audio/3gpp',
  'video/x-ms-asf',
];
const MEDIA = {
  image_size_limit: 16 * 1024 * 1024,
  image_matrix_limit: 33_177_600,
  video_size_limit: 99 * 1024 * 1024,
  video_frame_rate_limit: 120,
  video_matrix_limit: 8_294_400,
};
const POLLS = { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2_629_746 };
const ACCOUNTS = { max_featured_tags: 10, max_pinned_statuses: 5 };
/** The sizes Mastodon lists its app icons in. */
const ICON_SIZES = [36, 48, 72, 96, 144, 192, 256, 384, 512];

/** What both versions of the answer are made of. */
async function facts(deps: Pick<Deps, 'db' | 'config'>) {
  const url = new URL(deps.config.issuer);
  return {
    // Mastodon's domain is LOCAL_DOMAIN, which holds the port when there is one
    domain: url.host,
    // absolute links start with ISSUER, path and all, as every other link Doorman gives
    issuer: deps.config.issuer,
    streaming: `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`,
    users: await countUsers(deps),
    ...deps.config.instance,
  };
}

/** `GET /api/v2/instance`: Mastodon 4.4's Instance entity, with Doorman's values. */
export async function instanceV2(deps: Pick<Deps, 'db' | 'config'>) {
  const f = await facts(deps);
  return {
    domain: f.domain,
    title: f.title,
    version: COMPATIBLE_VERSION,
    source_url: f.issuer,
    description: f.description,
    // Doorman keeps no record of activity: every account counts as active
    usage: { users: { active_month: f.users } },
    thumbnail: { url: `${f.issuer}${DEFAULT_HEADER_PATH}` },
    icon: ICON_SIZES.map((size) => ({ src: `${f.issuer}${DEFAULT_AVATAR_PATH}`, size: `${size}x${size}` })),
    languages: ['en'],
    configuration: {
      urls: { streaming: f.streaming, status: null, about: f.issuer, privacy_policy: null, terms_of_service: null },
      vapid: { public_key: '' },
      accounts: { ...ACCOUNTS },
      statuses: { ...STATUSES },
      media_attachments: {
        supported_mime_types: [...IMAGE_MIME_TYPES, ...VIDEO_MIME_TYPES, ...AUDIO_MIME_TYPES],
        description_limit: 1500,
        ...MEDIA,
      },
      polls: { ...POLLS },
      translation: { enabled: false },
      limited_federation: false,
    },
    registrations: {
      enabled: false,
      approval_required: false,
      reason_required: false,
      message: null,
      min_age: null,
      url: null,
    },
    api_versions: { mastodon: MASTODON_API_VERSION },
    contact: { email: f.contactEmail, account: null },
    rules: [],
  };
}

/** `GET /api/v1/instance`: the older Instance entity Mastodon 4.4 still sends (toot and Mastodon.py read it). */
export async function instanceV1(deps: Pick<Deps, 'db' | 'config'>) {
  const f = await facts(deps);
  return {
    uri: f.domain,
    title: f.title,
    short_description: f.description,
    description: f.description,
    email: f.contactEmail,
    version: COMPATIBLE_VERSION,
    urls: { streaming_api: f.streaming },
    stats: { user_count: f.users, status_count: 0, domain_count: 0 },
    thumbnail: `${f.issuer}${DEFAULT_HEADER_PATH}`,
    languages: ['en'],
    registrations: false,
    approval_required: false,
    invites_enabled: false,
    configuration: {
      accounts: { ...ACCOUNTS },
      statuses: { ...STATUSES },
      media_attachments: {
        supported_mime_types: [...IMAGE_MIME_TYPES, ...VIDEO_MIME_TYPES, ...AUDIO_MIME_TYPES],
        ...MEDIA,
      },
      polls: { ...POLLS },
    },
    contact_account: null,
    rules: [],
  };
}
