// Generated malformed requests for every endpoint (fast-check), and the check every answer must pass
// (SPEC §7): never a 5xx, API routes answer JSON with a string `error`, pages answer HTML, and no
// answer shows a stack trace or a path inside the server. Used by test/junk.test.ts (inject) and
// test/junk-at-scale.ts (a listening server over HTTP).
import fc from 'fast-check';
import type { RouteDeclaration } from '../../src/http/route.js';
import { ROUTES } from '../../src/http/routes/index.js';

/** What an endpoint answers: JSON to programs, HTML to browsers, or a fixed file (or redirect) whatever it is sent. */
export type Kind = 'api' | 'page' | 'file';

export interface Endpoint {
  method: 'GET' | 'POST';
  path: string;
  kind: Kind;
  /** The parameters the endpoint reads: junk is aimed mostly at these. */
  params: readonly string[];
}

function kindOf(route: RouteDeclaration): Kind {
  if (route.audience === 'page') return 'page';
  return Object.values(route.responses).some((answer) => 'json' in answer) ? 'api' : 'file';
}

/** Every declared route: a route added later gets junk too. */
export const ENDPOINTS: readonly Endpoint[] = ROUTES.map((route) => ({
  method: route.method,
  path: route.url,
  kind: kindOf(route),
  params: Object.keys(route.params ?? {}),
}));

/** Real state planted before the junk, so junk that carries a real value reaches the deep code paths. */
export interface JunkSeed {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  userToken: string;
  appToken: string;
  refreshToken: string;
  code: string;
  verifier: string;
  challenge: string;
  username: string;
  password: string;
  /** Cookie header of a signed-in browser (session and CSRF secret). */
  cookie: string;
  /** A CSRF token that matches that cookie. */
  csrf: string;
}

export interface JunkRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const OOB = 'urn:ietf:wg:oauth:2.0:oob';
const HUGE_LENGTHS = [4097, 5000, 64 * 1024 + 1, 70 * 1024];

/** Values that are right, or nearly right, for a parameter: they get the junk past the first check. */
function plausible(key: string, seed: JunkSeed): string[] {
  switch (key) {
    case 'client_id':
      return [seed.clientId, seed.clientId.toUpperCase(), `${seed.clientId} `, `${seed.clientId}\u0000`];
    case 'client_secret':
      return [seed.clientSecret, `${seed.clientSecret}x`];
    case 'redirect_uri':
    case 'redirect_uris':
      return [
        seed.redirectUri,
        OOB,
        `${seed.redirectUri}/x`,
        'myapp://cb',
        'javascript:alert(1)',
        'http://127.0.0.1:9/cb',
        `${seed.redirectUri}\n${OOB}`,
      ];
    case 'grant_type':
      return ['authorization_code', 'client_credentials', 'refresh_token', 'password', 'implicit'];
    case 'code':
      return [seed.code];
    case 'token':
    case 'refresh_token':
      return [seed.userToken, seed.appToken, seed.refreshToken];
    case 'token_type_hint':
      return ['access_token', 'refresh_token', 'id_token'];
    case 'scope':
    case 'scopes':
      return [
        'read',
        'read write',
        'read:accounts',
        'profile',
        'admin:read:accounts',
        'read read',
        'nonsense',
        'read\twrite',
        'write:',
      ];
    case 'response_type':
      return ['code', 'token', 'code token'];
    case 'code_challenge':
      return [seed.challenge, 'short'];
    case 'code_challenge_method':
      return ['S256', 'plain', 's256'];
    case 'code_verifier':
      return [seed.verifier, 'x'.repeat(43)];
    case 'force_login':
      // values read as false: true ends the planted session, and every later request would stop at sign-in
      return ['false', '0', 'f', 'OFF', ''];
    case 'decision':
      return ['authorize', 'deny', 'maybe'];
    case '_csrf':
      return [seed.csrf, `${seed.csrf}x`];
    case 'username':
      return [seed.username, `${seed.username}@example.com`, seed.username.toUpperCase(), `${seed.username}\u0000`];
    case 'password':
      return [seed.password, `${seed.password} `];
    case 'return_to':
      return [
        '/oauth/authorize?client_id=x',
        '//evil.example/',
        'https://evil.example/',
        '/\\evil.example',
        '/%0d%0aSet-Cookie:x=y',
        '/☃',
        '/\u00e9t\u00e9?q=\u2603',
        '/\u0085',
      ];
    case 'website':
      return ['https://app.example', 'javascript:alert(1)', 'ftp://x', 'not a url'];
    case 'client_name':
      return ['App', '<script>alert(1)</script>'];
    case 'state':
      return ['xyz', '"><script>'];
    case 'lang':
      return ['en', 'de-DE', '../../../etc/passwd'];
    default:
      return ['x'];
  }
}

const tokenLike = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);

/** Text that should not be where it is: odd characters, lone surrogates, sizes over every limit. */
const junkText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }), // lone surrogates among them
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff',
    'a\ud800b',
    '%',
    '..',
    '<x>',
    'null',
    '[]',
    '{}',
    '__proto__',
    '\r\n',
    'ａｄｍｉｎ',
    '\u202e',
  ),
  tokenLike,
  fc.constantFrom(...HUGE_LENGTHS).map((n) => 'x'.repeat(n)),
);

/** A JSON value where a string belongs. */
const wrongTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
  fc.constant([[['deep']]]),
  fc.constant({ a: { b: { c: [1, null] } } }),
  fc.constant(Array.from({ length: 70 }, (_, i) => `v${i}`)),
);

function keyArb(endpoint: Endpoint): fc.Arbitrary<string> {
  const known = endpoint.params.length ? endpoint.params : ['x'];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.constantFrom(...known).map((k) => `${k}[]`) },
    { weight: 1, arbitrary: fc.constantFrom(...known).map((k) => `${k}[a][b]`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'hasOwnProperty',
        '[]',
        '[',
        'a][b',
        'x[0]',
        '',
        '__proto__[x]',
      ),
    },
    { weight: 1, arbitrary: junkText },
  );
}

type Entry = [string, string, unknown];

/** Key, text value, and the value as a JSON body would carry it (often not a string). */
function entryArb(endpoint: Endpoint, seed: JunkSeed): fc.Arbitrary<Entry> {
  return keyArb(endpoint).chain((key) => {
    const bare = key.replace(/\[.*$/, '');
    const text = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...plausible(bare, seed)) },
      { weight: 3, arbitrary: junkText },
    );
    return fc
      .tuple(
        fc.constant(key),
        text,
        fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: wrongTyped }),
      )
      .map(([k, t, json]): Entry => [k, t, json === undefined ? t : json]);
  });
}

/** Percent-encodes every byte of the text as WTF-8, so lone surrogates become e.g. %ED%A0%80. */
function percent(text: string): string {
  try {
    return encodeURIComponent(text); // fast path: throws only on lone surrogates
  } catch {
    // fall through to the byte-by-byte encoding
  }
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const bytes =
      cp >= 0xd800 && cp <= 0xdfff
        ? Buffer.from([0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)])
        : Buffer.from(ch, 'utf8');
    for (const b of bytes)
      out += /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const BAD_ESCAPES = ['%', '%z', '%zz', '%ED%A0%80', '%FF%FE', '%C0%AF', '%E2%82', '%00', '%25%', '%%%'];
const RAW_BYTES = [
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc3]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
];

/** One key or value in a form body or query string, encoded well, raw, or broken. */
const encodingArb = fc.constantFrom('percent', 'percent', 'raw', 'bad', 'bytes');
function encode(text: string, how: string, pick: number): Buffer {
  switch (how) {
    case 'raw':
      return Buffer.from(text, 'utf8');
    case 'bad':
      return Buffer.from(percent(text) + BAD_ESCAPES[pick % BAD_ESCAPES.length], 'latin1');
    case 'bytes':
      return Buffer.concat([Buffer.from(percent(text), 'latin1'), RAW_BYTES[pick % RAW_BYTES.length]!]);
    default:
      return Buffer.from(percent(text), 'latin1');
  }
}

interface EncodedEntries {
  entries: Entry[];
  encodings: [string, string, number][];
  separator: string;
}

/** The parameters of a request that would succeed: the starting point of the nearly-valid junk. */
function validParams(endpoint: Endpoint, seed: JunkSeed): [string, string][][] {
  const client: [string, string][] = [
    ['client_id', seed.clientId],
    ['client_secret', seed.clientSecret],
  ];
  const authorize: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', seed.clientId],
    ['redirect_uri', seed.redirectUri],
    ['scope', 'read follow'], // not yet granted: the consent page, not remembered consent
    ['state', 'xyz'],
    ['code_challenge', seed.challenge],
    ['code_challenge_method', 'S256'],
  ];
  switch (`${endpoint.method} ${endpoint.path}`) {
    case 'POST /api/v1/apps':
      return [
        [
          ['client_name', 'App'],
          ['redirect_uris', seed.redirectUri],
          ['scopes', 'read write'],
          ['website', 'https://app.example'],
        ],
      ];
    case 'GET /oauth/authorize':
      return [authorize, [...authorize, ['force_login', 'false']]];
    case 'POST /oauth/authorize':
      return [
        [...authorize, ['decision', 'authorize'], ['_csrf', seed.csrf]],
        [...authorize, ['decision', 'deny'], ['_csrf', seed.csrf]],
      ];
    case 'POST /oauth/token':
      return [
        [
          ['grant_type', 'authorization_code'],
          ['code', seed.code],
          ['redirect_uri', seed.redirectUri],
          ['code_verifier', seed.verifier],
          ...client,
        ],
        [['grant_type', 'client_credentials'], ['scope', 'read'], ...client],
        [['grant_type', 'refresh_token'], ['refresh_token', seed.refreshToken], ['scope', 'read'], ...client],
      ];
    case 'POST /oauth/revoke':
    case 'POST /oauth/introspect':
      return [
        [...client, ['token', seed.userToken]],
        [...client, ['token', seed.appToken], ['token_type_hint', 'access_token']],
        [...client, ['token', seed.refreshToken], ['token_type_hint', 'refresh_token']],
      ];
    case 'GET /auth/sign_in':
      return [[['return_to', '/oauth/authorize?client_id=x']]];
    case 'POST /auth/sign_in':
      return [
        [
          ['username', seed.username],
          ['password', seed.password],
          ['return_to', '/oauth/authorized_applications'],
          ['_csrf', seed.csrf],
        ],
      ];
    case 'POST /auth/sign_out':
      return [[['_csrf', seed.csrf]]];
    case 'POST /oauth/authorized_applications':
      return [
        [
          ['client_id', seed.clientId],
          ['_csrf', seed.csrf],
        ],
      ];
    default:
      return [[]];
  }
}

/**
 * Non-ASCII and control characters put into an otherwise right value of a page's form field, so
 * that they get past the checks that look at the value's shape (a `return_to` of `/☃`).
 */
const ODD_CHARACTERS = [
  '☃',
  'é',
  '\u00a0',
  '\u2028',
  '\u202e',
  '\ufeff',
  '\ud83d\ude00',
  '\ud800',
  '\u0000',
  '\u0001',
  '\u0007',
  '\t',
  '\r\n',
  '\u007f',
  '\u0085',
  '\uffff',
];

/** Astral, C1 control, C0 control, lone surrogate: one of each kind. */
const ODD_SAMPLE = ['☃', '\u0085', '\u0000', '\ud800', '\ud83d\ude00', '\u0007'];

/**
 * A valid request with up to three things wrong: a parameter dropped, replaced, repeated, mistyped,
 * or one added; on pages also an odd character put into a right value.
 */
function nearlyValid(endpoint: Endpoint, seed: JunkSeed): fc.Arbitrary<Entry[]> {
  const kinds = [
    'drop',
    'replace',
    'repeat',
    'wrong-type',
    'add',
    'brackets',
    ...(endpoint.kind === 'page' ? ['odd', 'odd'] : []),
  ];
  const mutation = fc.record({
    kind: fc.constantFrom(...kinds),
    odd: fc.constantFrom(...ODD_CHARACTERS),
    at: fc.nat(20),
    text: junkText,
    json: wrongTyped,
    key: keyArb(endpoint),
  });
  return fc
    .tuple(fc.constantFrom(...validParams(endpoint, seed)), fc.array(mutation, { maxLength: 3 }))
    .map(([valid, mutations]) => {
      const list: Entry[] = valid.map(([k, v]) => [k, v, v]);
      for (const m of mutations) {
        const i = list.length ? m.at % list.length : 0;
        const target = list[i];
        if (m.kind === 'add' || !target) list.push([m.key, m.text, m.text]);
        else if (m.kind === 'drop') list.splice(i, 1);
        else if (m.kind === 'replace') list[i] = [target[0], m.text, m.text];
        else if (m.kind === 'repeat') list.push([target[0], m.text, m.text]);
        else if (m.kind === 'wrong-type') list[i] = [target[0], target[1], m.json];
        else if (m.kind === 'odd') {
          const cut = m.at % (target[1].length + 1);
          const value = target[1].slice(0, cut) + m.odd + target[1].slice(cut);
          list[i] = [target[0], value, value];
        } else list[i] = [`${target[0]}[]`, target[1], target[2]];
      }
      return list;
    });
}

function entriesArb(endpoint: Endpoint, seed: JunkSeed): fc.Arbitrary<EncodedEntries> {
  const many = fc.constant(null).map(() => Array.from({ length: 150 }, (_, i): Entry => [`k${i}`, 'v', 'v']));
  const entries = fc.oneof(
    { weight: 10, arbitrary: fc.array(entryArb(endpoint, seed), { maxLength: 8 }) },
    { weight: 20, arbitrary: nearlyValid(endpoint, seed) },
    { weight: 1, arbitrary: many },
  );
  const clean = (n: number) =>
    fc.constant(Array.from({ length: n }, (): [string, string, number] => ['percent', 'percent', 1]));
  return entries.chain((list) =>
    fc.record({
      entries: fc.constant(list),
      // half the time every part is well encoded, so the junk is in the values and not only the bytes
      encodings: fc.oneof(
        clean(list.length),
        fc.array(fc.tuple(encodingArb, encodingArb, fc.nat(40)), { minLength: list.length, maxLength: list.length }),
      ),
      separator: fc.oneof(
        { weight: 8, arbitrary: fc.constant('&') },
        { weight: 1, arbitrary: fc.constantFrom(';', '&&') },
      ),
    }),
  );
}

function formBytes({ entries, encodings, separator }: EncodedEntries): Buffer {
  const parts: Buffer[] = [];
  entries.forEach(([key, value], i) => {
    const [kHow, vHow, pick] = encodings[i]!;
    if (i > 0) parts.push(Buffer.from(separator));
    parts.push(encode(key, kHow, pick), Buffer.from(pick % 13 === 0 ? '' : '='), encode(value, vHow, pick + 1));
  });
  return Buffer.concat(parts);
}

/** A query string: bytes outside printable ASCII are always escaped, as they would be on the wire. */
function queryString(e: EncodedEntries): string {
  const bytes = formBytes(e);
  let out = '';
  for (const b of bytes)
    out +=
      b > 0x20 && b < 0x7f && b !== 0x23 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

function jsonObject(entries: Entry[]): string {
  const object: Record<string, unknown> = {};
  for (const [key, , json] of entries)
    Object.defineProperty(object, key, { value: json, enumerable: true, writable: true, configurable: true });
  return JSON.stringify(object);
}

function multipart(entries: Entry[], boundary: string): Buffer {
  const parts = entries.map(
    ([key, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${key.replace(/["\r\n]/g, '_')}"\r\n\r\n${value}\r\n`,
  );
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8');
}

const FORM = 'application/x-www-form-urlencoded';

interface Body {
  type?: string;
  body?: Buffer;
}

function bodyArb(e: EncodedEntries): fc.Arbitrary<Body> {
  const form = formBytes(e);
  const json = jsonObject(e.entries);
  const parts = multipart(e.entries, 'xXjunkXx');
  const bodies: fc.Arbitrary<Body>[] = [
    fc
      .constantFrom(FORM, `${FORM}; charset=utf-8`, `${FORM}; charset=latin1`, 'APPLICATION/X-WWW-FORM-URLENCODED')
      .map((type) => ({ type, body: form })),
    fc
      .constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1')
      .map((type) => ({ type, body: Buffer.from(json) })),
    fc
      .constantFrom(
        '"just a string"',
        '42',
        '-0.5e308',
        'null',
        'true',
        '[]',
        '["client_id", "x"]',
        '[{"client_id": "x"}]',
        '{',
        '{"client_id":',
        '{"a": "b"',
        '',
        ' ',
        '{"__proto__": {"x": 1}}',
        '{"constructor": {"prototype": {"x": 1}}}',
        `${'['.repeat(3000)}${']'.repeat(3000)}`,
        '{"a":1,"a":2}',
      )
      .map((text) => ({ type: 'application/json', body: Buffer.from(text) })),
    fc.constant({
      type: 'application/json',
      body: Buffer.concat([
        Buffer.from('{"client_id": "'),
        Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]),
    }),
    fc.constant({ type: 'application/json', body: Buffer.from(json.slice(0, Math.max(1, json.length - 3))) }),
    fc
      .constantFrom(
        'multipart/form-data; boundary=xXjunkXx',
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=other',
      )
      .map((type) => ({
        type,
        body: parts,
      })),
    fc.constant({
      type: 'multipart/form-data; boundary=xXjunkXx',
      body: parts.subarray(0, Math.floor(parts.length / 2)),
    }),
    fc
      .constantFrom(
        'text/plain',
        'application/xml',
        'text/html',
        'application/octet-stream',
        'application/x-www-form-urlencodedx',
        ';;;',
        'a/b/c',
        '*/*',
      )
      .map((type) => ({
        type,
        body: form,
      })),
    fc.constant({
      type: 'application/xml',
      body: Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'),
    }),
    fc.constant({ body: form }),
    fc.constant({}),
    fc.constant({ type: FORM }),
    fc.constantFrom(FORM, 'application/json').map((type) => ({ type, body: Buffer.alloc(70 * 1024, 0x61) })),
  ];
  // well-formed form, JSON and multipart bodies carry most of the junk; the odd bodies come less often
  return fc.oneof(
    { weight: 5, arbitrary: bodies[0]! },
    { weight: 4, arbitrary: bodies[1]! },
    { weight: 2, arbitrary: fc.constant({ type: 'multipart/form-data; boundary=xXjunkXx', body: parts }) },
    ...bodies.map((arbitrary) => ({ weight: 1, arbitrary })),
  );
}

function authorizationArb(seed: JunkSeed): fc.Arbitrary<string | undefined> {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        `Basic ${b64(`${seed.clientId}:${seed.clientSecret}`)}`,
        `Basic ${b64(`${seed.clientId}:wrong`)}`,
        `Basic ${b64('no colon at all')}`,
        'Basic !!!not base64!!!',
        'Basic ',
        'Basic',
        `Basic ${b64('%zz:%')}`,
        `Basic ${b64(`${seed.clientId}\u0000:${seed.clientSecret}`)}`,
        `Basic ${b64(`${seed.clientId}%00:${seed.clientSecret}`)}`,
        `Basic ${b64('%ED%A0%80:%FF')}`,
        `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0xff]).toString('base64')}`,
        `basic    ${b64(`${seed.clientId}:${seed.clientSecret}`)}   `,
        `Bearer ${seed.userToken}`,
        `Bearer ${seed.appToken}`,
        `Bearer ${seed.refreshToken}`,
        `Bearer ${seed.userToken} extra`,
        'Bearer a b c',
        'Bearer ',
        'Bearer',
        `bearer\t${seed.userToken}`,
        'Token abc',
        'Digest username="x"',
        `Bearer ${'x'.repeat(5000)}`,
      ),
    },
    { weight: 1, arbitrary: tokenLike.map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')) },
  );
}

function cookieArb(seed: JunkSeed): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.constant(seed.cookie) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'doorman_session=%ff%fe; doorman_csrf=',
        'doorman_session=; doorman_csrf=%',
        '=;;=;',
        `doorman_session=${'a'.repeat(43)}`,
        `${seed.cookie}; doorman_session=junk`,
        `doorman_csrf=${'x'.repeat(5000)}`,
      ),
    },
    {
      weight: 1,
      arbitrary: tokenLike.map(
        (t) => `doorman_session=${t}; ${seed.cookie.split('; ').find((c) => c.startsWith('doorman_csrf=')) ?? ''}`,
      ),
    },
  );
}

/** One malformed (or nearly right) request to the endpoint. */
export function junkRequest(endpoint: Endpoint, seed: JunkSeed): fc.Arbitrary<JunkRequest> {
  return fc
    .record({
      params: entriesArb(endpoint, seed),
      extraQuery: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: entriesArb(endpoint, seed) },
      ),
      authorization: authorizationArb(seed),
      cookie: cookieArb(seed),
      accept: fc.constantFrom(undefined, 'text/html', 'application/json', '*/*', 'image/png'),
      withCsrf: fc.boolean(),
    })
    .chain((parts) =>
      (endpoint.method === 'POST'
        ? bodyArb(parts.params)
        : fc.oneof({ weight: 5, arbitrary: fc.constant<Body>({}) }, { weight: 1, arbitrary: bodyArb(parts.params) })
      ).map((body): JunkRequest => {
        const headers: Record<string, string> = {};
        if (parts.authorization !== undefined) headers.authorization = parts.authorization;
        if (parts.cookie !== undefined) headers.cookie = parts.cookie;
        if (parts.accept !== undefined) headers.accept = parts.accept;
        if (parts.withCsrf) headers['csrf-token'] = seed.csrf;
        if (body.type !== undefined) headers['content-type'] = body.type;
        const queryFrom = endpoint.method === 'GET' ? parts.params : parts.extraQuery;
        const query = queryFrom ? queryString(queryFrom) : '';
        const request: JunkRequest = {
          method: endpoint.method,
          url: query ? `${endpoint.path}?${query}` : endpoint.path,
          headers,
        };
        if (body.body !== undefined) request.body = body.body;
        return request;
      }),
    );
}

/**
 * Every field of the page's right form in turn with an odd character put into its right value, the rest of the form and the cookies right: each odd
 * value reaches as far into the route as a right one would.
 */
export function oddFieldRequests(endpoint: Endpoint, seed: JunkSeed): JunkRequest[] {
  if (endpoint.kind !== 'page') return [];
  const valid = validParams(endpoint, seed)[0]!;
  const requests: JunkRequest[] = [];
  valid.forEach(([, value], i) => {
    // a sample, each at one place (the end, or after the first character), to keep the runs short
    ODD_SAMPLE.forEach((odd, n) => {
      const cut = n % 2 ? Math.min(1, value.length) : value.length;
      const params = valid.map(([k, v], j): [string, string] => [
        k,
        j === i ? v.slice(0, cut) + odd + v.slice(cut) : v,
      ]);
      const encoded = params.map(([k, v]) => `${percent(k)}=${percent(v)}`).join('&');
      const request: JunkRequest = { method: endpoint.method, url: endpoint.path, headers: { cookie: seed.cookie } };
      if (endpoint.method === 'GET') request.url = `${endpoint.path}?${encoded}`;
      else {
        request.headers['content-type'] = FORM;
        request.body = Buffer.from(encoded, 'latin1');
      }
      requests.push(request);
    });
  });
  return requests;
}

export interface JunkAnswer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** What is wrong with an answer to junk, or undefined when it is as SPEC §3 and §7 say. */
export function problemWith(endpoint: Endpoint, answer: JunkAnswer): string | undefined {
  const { status, body } = answer;
  const type = String(answer.headers['content-type'] ?? '');
  if (status >= 500) return `status ${status}: ${body.slice(0, 300)}`;
  if (![200, 302, 303].includes(status) && (status < 400 || status > 499)) return `unexpected status ${status}`;
  if (/\n\s+at /.test(body) || /node_modules|\/src\/|\.ts:\d+|\/work\//.test(body))
    return `internals in the body: ${body.slice(0, 300)}`;
  if (status === 302 || status === 303) return answer.headers.location ? undefined : `redirect without a location`;
  if (endpoint.kind === 'file') return undefined;
  if (endpoint.kind === 'page') {
    return type.startsWith('text/html')
      ? undefined
      : `page answered ${type || 'no content type'}: ${body.slice(0, 200)}`;
  }
  if (!type.startsWith('application/json')) return `API answered ${type || 'no content type'}: ${body.slice(0, 200)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `API answered JSON that does not parse: ${body.slice(0, 200)}`;
  }
  if (
    status >= 400 &&
    (typeof parsed !== 'object' || parsed === null || typeof (parsed as { error?: unknown }).error !== 'string')
  ) {
    return `API error without a string "error": ${body.slice(0, 200)}`;
  }
  return undefined;
}

/** A short description of a request for failure messages. */
export function showRequest(request: JunkRequest): string {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…(${s.length})` : s);
  const body = request.body ? cut(JSON.stringify(request.body.toString('latin1'))) : '(none)';
  return `${request.method} ${cut(request.url)}\nheaders: ${cut(JSON.stringify(request.headers))}\nbody: ${body}`;
}
