import { z } from 'zod';

// What the discovery routes answer: Mastodon's Instance entities and NodeInfo.
const Statuses = z.object({
  max_characters: z.number().int(),
  max_media_attachments: z.number().int(),
  characters_reserved_per_url: z.number().int(),
});
const MediaLimits = z.object({
  supported_mime_types: z.array(z.string()),
  image_size_limit: z.number().int(),
  image_matrix_limit: z.number().int(),
  video_size_limit: z.number().int(),
  video_frame_rate_limit: z.number().int(),
  video_matrix_limit: z.number().int(),
});
const Polls = z.object({
  max_options: z.number().int(),
  max_characters_per_option: z.number().int(),
  min_expiration: z.number().int(),
  max_expiration: z.number().int(),
});
const AccountLimits = z.object({ max_featured_tags: z.number().int(), max_pinned_statuses: z.number().int() });
export const InstanceV1 = z
  .object({
    uri: z.string().meta({ description: 'The host of ISSUER.' }),
    title: z.string(),
    short_description: z.string(),
    description: z.string(),
    email: z.string(),
    version: z.string().meta({ example: '4.4.0 (compatible; Doorman 0.1.0)' }),
    urls: z.object({ streaming_api: z.string() }),
    stats: z.object({ user_count: z.number().int(), status_count: z.number().int(), domain_count: z.number().int() }),
    thumbnail: z.string(),
    languages: z.array(z.string()),
    registrations: z.boolean(),
    approval_required: z.boolean(),
    invites_enabled: z.boolean(),
    configuration: z.object({
      accounts: AccountLimits,
      statuses: Statuses,
      media_attachments: MediaLimits,
      polls: Polls,
    }),
    contact_account: z.null(),
    rules: z.array(z.object({ id: z.string(), text: z.string() })),
  })
  .meta({ description: 'Mastodon’s V1 Instance entity.' });
export const InstanceV2 = z
  .object({
    domain: z.string().meta({ description: 'The host of ISSUER.' }),
    title: z.string(),
    version: z.string().meta({ example: '4.4.0 (compatible; Doorman 0.1.0)' }),
    source_url: z.string(),
    description: z.string(),
    usage: z.object({ users: z.object({ active_month: z.number().int() }) }),
    thumbnail: z.object({ url: z.string() }),
    icon: z.array(z.object({ src: z.string(), size: z.string() })),
    languages: z.array(z.string()),
    configuration: z.object({
      urls: z.object({
        streaming: z.string(),
        status: z.string().nullable(),
        about: z.string(),
        privacy_policy: z.string().nullable(),
        terms_of_service: z.string().nullable(),
      }),
      vapid: z.object({ public_key: z.string() }),
      accounts: AccountLimits,
      statuses: Statuses,
      media_attachments: MediaLimits.extend({ description_limit: z.number().int() }),
      polls: Polls,
      translation: z.object({ enabled: z.boolean() }),
      limited_federation: z.boolean(),
    }),
    registrations: z.object({
      enabled: z.boolean(),
      approval_required: z.boolean(),
      reason_required: z.boolean(),
      message: z.string().nullable(),
      min_age: z.number().int().nullable(),
      url: z.string().nullable(),
    }),
    api_versions: z.object({ mastodon: z.number().int() }),
    contact: z.object({ email: z.string(), account: z.null() }),
    rules: z.array(z.object({ id: z.string(), text: z.string() })),
  })
  .meta({ description: 'Mastodon’s Instance entity (V2).' });
export const NodeInfoLinks = z.object({ links: z.array(z.object({ rel: z.string(), href: z.string() })) });
export const NodeInfo = z
  .object({
    version: z.literal('2.0'),
    software: z.object({ name: z.literal('doorman'), version: z.string() }),
    protocols: z.array(z.string()),
    services: z.object({ outbound: z.array(z.string()), inbound: z.array(z.string()) }),
    usage: z.object({
      users: z.object({ total: z.number().int(), activeMonth: z.number().int(), activeHalfyear: z.number().int() }),
      localPosts: z.number().int(),
    }),
    openRegistrations: z.boolean(),
    metadata: z.object({ nodeName: z.string(), nodeDescription: z.string() }),
  })
  .meta({ description: 'NodeInfo 2.0.' });
