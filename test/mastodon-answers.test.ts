// What Mastodon clients call around sign-in (SPEC §9): the V1 and V2 instance answers, NodeInfo, the
// whole CredentialAccount with its default images, and boolean parameters read as Rails reads them.
// Each field's type and value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { booleanParam } from '../src/http/params.js';
import { cookieHeader, makeUser, registerApp, signIn, testApp, userToken, type TestContext } from './support/app.js';

let ctx: TestContext;
const ISSUER = 'http://doorman.test:8080';
before(async () => {
  ctx = await testApp({
    ISSUER,
    INSTANCE_TITLE: 'Example Doorman',
    INSTANCE_DESCRIPTION: 'Sign-in for example.org',
    INSTANCE_CONTACT_EMAIL: 'admin@example.org',
  });
});
after(() => ctx.close());

const get = async (url: string) => {
  const res = await ctx.app.inject({ url });
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  return res.json();
};
const VERSION = /^4\.4\.0 \(compatible; Doorman \d+\.\d+\.\d+\)$/;
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

/** The user count, straight from the database, to compare the answers with. */
async function userCount(): Promise<number> {
  const [row] = await ctx.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return row!.n;
}

describe('GET /api/v1/instance', () => {
  test('every V1 field, with Doorman’s values', async () => {
    await makeUser(ctx.deps, 'v1user');
    const body = await get('/api/v1/instance');
    assert.deepEqual(Object.keys(body).sort(), [
      'approval_required',
      'configuration',
      'contact_account',
      'description',
      'email',
      'invites_enabled',
      'languages',
      'registrations',
      'rules',
      'short_description',
      'stats',
      'thumbnail',
      'title',
      'uri',
      'urls',
      'version',
    ]);
    assert.equal(body.uri, 'doorman.test:8080', 'the host of ISSUER, port included');
    assert.equal(body.title, 'Example Doorman');
    assert.equal(body.short_description, 'Sign-in for example.org');
    assert.equal(body.description, 'Sign-in for example.org');
    assert.equal(body.email, 'admin@example.org');
    assert.match(body.version, VERSION);
    assert.deepEqual(body.urls, { streaming_api: 'ws://doorman.test:8080' });
    assert.deepEqual(body.stats, { user_count: await userCount(), status_count: 0, domain_count: 0 });
    assert.ok(body.stats.user_count >= 1);
    assert.equal(body.thumbnail, `${ISSUER}/headers/original/missing.png`);
    assert.deepEqual(body.languages, ['en']);
    assert.equal(body.registrations, false);
    assert.equal(body.approval_required, false);
    assert.equal(body.invites_enabled, false);
    assert.equal(body.contact_account, null);
    assert.deepEqual(body.rules, []);
    const c = body.configuration;
    assert.deepEqual(Object.keys(c).sort(), ['accounts', 'media_attachments', 'polls', 'statuses']);
    assert.deepEqual(c.accounts, { max_featured_tags: 10, max_pinned_statuses: 5 });
    assert.deepEqual(c.statuses, { max_characters: 500, max_media_attachments: 4, characters_reserved_per_url: 23 });
    assert.deepEqual(c.polls, {
      max_options: 4,
      max_characters_per_option: 50,
      min_expiration: 300,
      max_expiration: 2629746,
    });
    assert.equal(c.media_attachments.image_size_limit, 16777216);
    assert.equal(c.media_attachments.video_size_limit, 103809024);
    for (const key of ['image_matrix_limit', 'video_frame_rate_limit', 'video_matrix_limit'])
      assert.ok(isInt(c.media_attachments[key]), key);
    assert.ok(c.media_attachments.supported_mime_types.includes('image/png'));
    assert.ok(c.media_attachments.supported_mime_types.every((t: unknown) => typeof t === 'string'));
  });

  test('with a trailing slash too (Mastodon.py asks for /api/v1/instance/), and no token needed', async () => {
    const res = await ctx.app.inject({ url: '/api/v1/instance/', headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().title, 'Example Doorman');
  });
});

describe('GET /api/v2/instance', () => {
  test('every V2 field, with Doorman’s values', async () => {
    const body = await get('/api/v2/instance');
    assert.deepEqual(Object.keys(body).sort(), [
      'api_versions',
      'configuration',
      'contact',
      'description',
      'domain',
      'icon',
      'languages',
      'registrations',
      'rules',
      'source_url',
      'thumbnail',
      'title',
      'usage',
      'version',
    ]);
    assert.equal(body.domain, 'doorman.test:8080');
    assert.equal(body.title, 'Example Doorman');
    assert.match(body.version, VERSION);
    assert.equal(body.source_url, ISSUER);
    assert.equal(body.description, 'Sign-in for example.org');
    assert.deepEqual(body.usage, { users: { active_month: await userCount() } });
    assert.deepEqual(body.thumbnail, { url: `${ISSUER}/headers/original/missing.png` });
    assert.equal(body.icon.length, 9);
    for (const icon of body.icon) {
      assert.equal(icon.src, `${ISSUER}/avatars/original/missing.png`);
      assert.match(icon.size, /^\d+x\d+$/);
    }
    assert.deepEqual(body.languages, ['en']);
    assert.deepEqual(body.api_versions, { mastodon: 6 });
    assert.deepEqual(body.contact, { email: 'admin@example.org', account: null });
    assert.deepEqual(body.rules, []);
    assert.deepEqual(body.registrations, {
      enabled: false,
      approval_required: false,
      reason_required: false,
      message: null,
      min_age: null,
      url: null,
    });
    const c = body.configuration;
    assert.deepEqual(Object.keys(c).sort(), [
      'accounts',
      'limited_federation',
      'media_attachments',
      'polls',
      'statuses',
      'translation',
      'urls',
      'vapid',
    ]);
    assert.deepEqual(c.urls, {
      streaming: 'ws://doorman.test:8080',
      status: null,
      about: ISSUER,
      privacy_policy: null,
      terms_of_service: null,
    });
    assert.deepEqual(c.vapid, { public_key: '' });
    assert.deepEqual(c.accounts, { max_featured_tags: 10, max_pinned_statuses: 5 });
    assert.deepEqual(c.statuses, { max_characters: 500, max_media_attachments: 4, characters_reserved_per_url: 23 });
    assert.equal(c.media_attachments.description_limit, 1500);
    assert.equal(c.media_attachments.image_matrix_limit, 33177600);
    assert.deepEqual(c.polls, {
      max_options: 4,
      max_characters_per_option: 50,
      min_expiration: 300,
      max_expiration: 2629746,
    });
    assert.deepEqual(c.translation, { enabled: false });
    assert.equal(c.limited_federation, false);
  });

  test('the user count follows the users', async () => {
    const before = (await get('/api/v2/instance')).usage.users.active_month;
    await makeUser(ctx.deps, 'countme');
    assert.equal((await get('/api/v2/instance')).usage.users.active_month, before + 1);
    assert.equal((await get('/api/v1/instance')).stats.user_count, before + 1);
  });

  test('defaults: title Doorman, empty description and e-mail, the https host without a port', async () => {
    const plain = await testApp({ ISSUER: 'https://auth.example.org' });
    try {
      const v2 = (await plain.app.inject({ url: '/api/v2/instance' })).json();
      assert.equal(v2.domain, 'auth.example.org');
      assert.equal(v2.title, 'Doorman');
      assert.equal(v2.description, '');
      assert.equal(v2.contact.email, '');
      assert.equal(v2.configuration.urls.streaming, 'wss://auth.example.org');
      assert.equal(v2.usage.users.active_month, 0);
    } finally {
      await plain.close();
    }
  });
});

describe('NodeInfo', () => {
  test('/.well-known/nodeinfo links the 2.0 document', async () => {
    const body = await get('/.well-known/nodeinfo');
    assert.deepEqual(body, {
      links: [{ rel: 'http://nodeinfo.diaspora.software/ns/schema/2.0', href: `${ISSUER}/nodeinfo/2.0` }],
    });
  });

  test('/nodeinfo/2.0: software doorman and its version, no protocols, the user count, closed registrations', async () => {
    const body = await get('/nodeinfo/2.0');
    const users = await userCount();
    assert.equal(body.version, '2.0');
    assert.equal(body.software.name, 'doorman');
    assert.match(body.software.version, /^\d+\.\d+\.\d+$/);
    assert.deepEqual(body.protocols, []);
    assert.deepEqual(body.services, { outbound: [], inbound: [] });
    assert.deepEqual(body.usage, { users: { total: users, activeMonth: users, activeHalfyear: users }, localPosts: 0 });
    assert.equal(body.openRegistrations, false);
    assert.deepEqual(body.metadata, { nodeName: 'Example Doorman', nodeDescription: 'Sign-in for example.org' });
  });
});

describe('verify_credentials: the whole CredentialAccount', () => {
  test('each field’s type and value', async () => {
    const { token, user } = await userToken(ctx, { scope: 'read', username: 'dora' });
    const res = await ctx.app.inject({
      url: '/api/v1/accounts/verify_credentials',
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    const a = res.json();
    assert.equal(a.id, String(user.id));
    assert.equal(a.username, 'dora');
    assert.equal(a.acct, 'dora');
    assert.equal(a.display_name, '');
    for (const key of ['locked', 'bot', 'indexable', 'group', 'noindex']) assert.equal(a[key], false, key);
    assert.equal(a.discoverable, null);
    assert.equal(a.hide_collections, null);
    const midnight = new Date(user.createdAt);
    midnight.setUTCHours(0, 0, 0, 0);
    assert.equal(a.created_at, midnight.toISOString());
    assert.match(a.created_at, /^\d{4}-\d\d-\d\dT00:00:00\.000Z$/);
    assert.equal(a.note, '');
    assert.equal(a.url, `${ISSUER}/@dora`);
    assert.equal(a.uri, `${ISSUER}/users/dora`);
    assert.equal(a.avatar, `${ISSUER}/avatars/original/missing.png`);
    assert.equal(a.avatar_static, a.avatar);
    assert.equal(a.header, `${ISSUER}/headers/original/missing.png`);
    assert.equal(a.header_static, a.header);
    for (const key of ['followers_count', 'following_count', 'statuses_count']) assert.equal(a[key], 0, key);
    assert.equal(a.last_status_at, null);
    for (const key of ['emojis', 'roles', 'fields']) assert.deepEqual(a[key], [], key);
    assert.deepEqual(a.source, {
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
    });
    assert.deepEqual(a.role, { id: '-99', name: '', permissions: '65536', color: '', highlighted: false });
  });

  test('the avatar and header it points at are PNGs Doorman serves', async () => {
    for (const path of ['/avatars/original/missing.png', '/headers/original/missing.png']) {
      const res = await ctx.app.inject({ url: path });
      assert.equal(res.statusCode, 200, path);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.deepEqual(
        [...res.rawPayload.subarray(0, 8)],
        [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
        `${path} is a PNG`,
      );
    }
  });
});

describe('boolean parameters, read as Rails reads them', () => {
  test('false only for 0, f, F, false, FALSE, off, OFF, empty or absent', () => {
    for (const v of ['0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF', '', undefined])
      assert.equal(booleanParam(v), false, String(v));
    for (const v of ['true', 'True', 'TRUE', '1', 'on', 'yes', 'no', 'False', 't', ' '])
      assert.equal(booleanParam(v), true, v);
  });

  test('force_login=True (as Mastodon.py sends it) ends a sign-in; force_login=False does not', async () => {
    const client = await registerApp(ctx.app);
    await makeUser(ctx.deps, 'forced', 'forced-password');
    const url = (force: string) =>
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: client.redirect_uris[0]!, scope: 'read', force_login: force })}`;
    const jar = await signIn(ctx.app, 'forced', 'forced-password');
    const kept = await ctx.app.inject({ url: url('false'), headers: { cookie: cookieHeader(jar) } });
    assert.equal(kept.statusCode, 200, 'force_login=false: the consent page for the signed-in user');
    const forced = await ctx.app.inject({ url: url('True'), headers: { cookie: cookieHeader(jar) } });
    assert.equal(forced.statusCode, 302);
    assert.equal(new URL(String(forced.headers.location), ISSUER).pathname, '/auth/sign_in');
  });
});

test('the OpenAPI document describes exactly the fields each answer holds', async () => {
  const doc = await get('/openapi.json');
  const schemas = doc.components.schemas as Record<
    string,
    { properties: Record<string, { properties?: Record<string, unknown> }>; required: string[] }
  >;
  const { token } = await userToken(ctx, { scope: 'read', username: 'documented' });
  const account = (
    await ctx.app.inject({
      url: '/api/v1/accounts/verify_credentials',
      headers: { authorization: `Bearer ${token.access_token}` },
    })
  ).json();
  const answers: Array<[string, Record<string, unknown>]> = [
    ['InstanceV1', await get('/api/v1/instance')],
    ['InstanceV2', await get('/api/v2/instance')],
    ['NodeInfoLinks', await get('/.well-known/nodeinfo')],
    ['NodeInfo', await get('/nodeinfo/2.0')],
    ['Account', account],
  ];
  for (const [name, answer] of answers) {
    const schema = schemas[name]!;
    assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(answer).sort(), name);
    assert.deepEqual([...schema.required].sort(), Object.keys(answer).sort(), `${name}: every field is always there`);
    const configuration = schema.properties.configuration?.properties;
    if (configuration)
      assert.deepEqual(
        Object.keys(configuration).sort(),
        Object.keys(answer.configuration as object).sort(),
        `${name}.configuration`,
      );
  }
});
