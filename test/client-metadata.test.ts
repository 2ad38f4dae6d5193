// SPEC §8, Client ID Metadata Documents: which addresses Doorman may fetch from, how it fetches (a
// real https server on loopback, its certificate from a throwaway authority), and what a document
// must hold. Deadlines are cut to a fraction of a second so the slow cases stay fast.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { addressProblem } from '../src/client-metadata/addresses.js';
import { documentHost, isMetadataDocumentClientId, readMetadataDocument } from '../src/client-metadata/document.js';
import { ClientMetadataError } from '../src/client-metadata/error.js';
import {
  cacheLifetime,
  FetchSlots,
  type FetchOptions,
  fetchMetadataDocument,
  type ResolvedAddress,
} from '../src/client-metadata/fetch-document.js';
import { loadClientMetadata } from '../src/client-metadata/load.js';
import { testCertificates } from './support/test-ca.js';

describe('addressProblem: only public unicast addresses may be fetched from', () => {
  const cases: [string, RegExp | undefined][] = [
    ['93.184.215.14', undefined],
    ['8.8.8.8', undefined],
    ['2606:4700:4700::1111', undefined],
    ['2a00:1450:4001:82b::200e', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::8.8.8.8', undefined],
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['::1', /loopback/],
    ['10.0.0.1', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['fc00::1', /private/],
    ['fd12:3456:789a::1', /private/],
    ['fec0::1', /private/],
    ['169.254.169.254', /link-local/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['ff02::1', /multicast/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['::', /unspecified/],
    ['255.255.255.255', /broadcast/],
    ['192.0.2.1', /reserved/],
    ['198.51.100.1', /reserved/],
    ['203.0.113.1', /reserved/],
    ['198.18.0.1', /reserved/],
    ['240.0.0.1', /reserved/],
    ['2001:db8::1', /reserved/],
    ['3fff::1', /reserved/],
    ['4000::1', /reserved/],
    // IPv6 forms that carry an IPv4 address are judged by it, or refused outright
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:10.0.0.1', /private/],
    ['::ffff:169.254.169.254', /link-local/],
    ['::127.0.0.1', /loopback/],
    ['::10.0.0.1', /private/],
    ['::8.8.8.8', /reserved/],
    ['64:ff9b::127.0.0.1', /loopback/],
    ['64:ff9b::a9fe:a9fe', /link-local/],
    ['64:ff9b:1::8.8.8.8', /special-purpose/],
    ['::ffff:0:127.0.0.1', /special-purpose/],
    ['2002:7f00:1::1', /special-purpose/],
    ['2001::1', /special-purpose/],
    // what a resolver never answers is not an address
    ['127.1', /not an IP/],
    ['0x7f.0.0.1', /not an IP/],
    ['localhost', /not an IP/],
    ['', /not an IP/],
  ];
  for (const [address, refused] of cases) {
    test(`${address || '(empty)'} → ${refused ?? 'allowed'}`, () => {
      const problem = addressProblem(address);
      if (refused) assert.match(problem ?? 'allowed', refused);
      else assert.equal(problem, undefined);
    });
  }
});

describe('cacheLifetime: max-age or s-maxage, at least 5 minutes, at most 24 hours', () => {
  const cases: [string | undefined, number][] = [
    [undefined, 300],
    ['', 300],
    ['max-age=3600', 3600],
    ['public, max-age=600', 600],
    ['MAX-AGE=900', 900],
    ['max-age="1200"', 1200],
    ['max-age=60', 300],
    ['max-age=0', 300],
    ['max-age=604800', 86400],
    ['max-age=99999999999999999999999', 86400],
    ['max-age=3600, s-maxage=7200', 7200],
    ['s-maxage=1000', 1000],
    ['s-maxage=soon, max-age=1000', 1000],
    ['no-store, max-age=3600', 300],
    ['max-age=3600, no-cache', 300],
    ['max-age=-5', 300],
    ['max-age=12.5', 300],
    ['max-age', 300],
    ['max-age=2000, max-age=9000', 2000],
  ];
  for (const [header, seconds] of cases) {
    test(`${JSON.stringify(header)} → ${seconds}s`, () => assert.equal(cacheLifetime(header), seconds));
  }
});

describe('isMetadataDocumentClientId: an https URL with a path, as the draft allows', () => {
  const cases: [string, boolean][] = [
    ['https://app.example/client.json', true],
    ['https://app.example/oauth/client-metadata', true],
    ['https://app.example:8443/client', true],
    ['https://app.example/client?v=2', true],
    ['https://127.0.0.1/client', true],
    ['https://app.example/', false],
    ['https://app.example', false],
    ['http://app.example/client', false],
    ['HTTPS://app.example/client', false],
    ['https://APP.example/client', false],
    ['https://app.example:443/client', false],
    ['https://app.example/client#top', false],
    ['https://app.example/client#', false],
    ['https://user@app.example/client', false],
    ['https://user:pw@app.example/client', false],
    ['https://app.example/a/../client', false],
    ['https://app.example/./client', false],
    ['https://app.example/a/%2e%2e/client', false],
    ['https://app.example/a/%2E/client', false],
    ['https://app.example/client/..', false],
    ['https://app.example/a b', false],
    ['app-id-1234', false],
    ['', false],
    [`https://app.example/${'a'.repeat(2000)}`, false],
  ];
  for (const [clientId, expected] of cases) {
    test(`${clientId.slice(0, 60) || '(empty)'} → ${expected}`, () =>
      assert.equal(isMetadataDocumentClientId(clientId), expected));
  }
});

test('documentHost: the host, with its port when not 443', () => {
  assert.equal(documentHost('https://claude.ai/oauth/client.json'), 'claude.ai');
  assert.equal(documentHost('https://app.example:8443/client'), 'app.example:8443');
  assert.equal(documentHost('https://[2001:db8::1]:8443/client'), '[2001:db8::1]:8443');
});

describe('readMetadataDocument: what a document must hold', () => {
  const ID = 'https://app.example/client.json';
  const valid = { client_id: ID, redirect_uris: ['https://app.example/cb'] };
  const reason = (document: unknown) => {
    try {
      readMetadataDocument(ID, document);
    } catch (error) {
      assert.ok(error instanceof ClientMetadataError, String(error));
      return error.message;
    }
    return 'accepted';
  };

  test('a minimal document: the host stands in for the name', () => {
    assert.deepEqual(readMetadataDocument(ID, valid), {
      clientId: ID,
      clientName: 'app.example',
      host: 'app.example',
      redirectUris: ['https://app.example/cb'],
      clientUri: undefined,
      logoUri: undefined,
    });
  });

  test('a full document: name trimmed, links kept, unknown fields ignored', () => {
    const read = readMetadataDocument(ID, {
      ...valid,
      client_name: '  Claude  ',
      client_uri: 'https://app.example/',
      logo_uri: 'https://cdn.example/logo.png',
      redirect_uris: ['https://app.example/cb', 'http://127.0.0.1/cb', 'com.example.app:/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      software_id: 'x',
    });
    assert.equal(read.clientName, 'Claude');
    assert.equal(read.clientUri, 'https://app.example/');
    assert.equal(read.logoUri, 'https://cdn.example/logo.png');
    assert.deepEqual(read.redirectUris, ['https://app.example/cb', 'http://127.0.0.1/cb', 'com.example.app:/cb']);
  });

  const refusals: [string, unknown, RegExp][] = [
    ['not an object', [valid], /not a JSON object/],
    ['null', null, /not a JSON object/],
    ['a string', 'hello', /not a JSON object/],
    ['another client_id', { ...valid, client_id: 'https://app.example/other.json' }, /client_id differs from its URL/],
    ['client_id with a trailing slash', { ...valid, client_id: `${ID}/` }, /client_id differs/],
    ['no client_id', { redirect_uris: valid.redirect_uris }, /client_id differs/],
    ['no redirect_uris', { client_id: ID }, /no redirect_uris/],
    ['empty redirect_uris', { ...valid, redirect_uris: [] }, /no redirect_uris/],
    ['redirect_uris a string', { ...valid, redirect_uris: 'https://app.example/cb' }, /no redirect_uris/],
    [
      'a redirect URI not a string',
      { ...valid, redirect_uris: ['https://app.example/cb', 7] },
      /\[1\] is not a string/,
    ],
    ['plain http off loopback', { ...valid, redirect_uris: ['http://app.example/cb'] }, /\[0\] must use https/],
    ['javascript:', { ...valid, redirect_uris: ['javascript:alert(1)'] }, /\[0\] uses a forbidden scheme/],
    ['a fragment', { ...valid, redirect_uris: ['https://app.example/cb#x'] }, /fragment/],
    ['out-of-band', { ...valid, redirect_uris: ['urn:ietf:wg:oauth:2.0:oob'] }, /out-of-band/],
    ['client_secret_basic', { ...valid, token_endpoint_auth_method: 'client_secret_basic' }, /is not none/],
    ['private_key_jwt', { ...valid, token_endpoint_auth_method: 'private_key_jwt' }, /is not none/],
    ['a client secret', { ...valid, client_secret: 'shh' }, /client secret/],
    ['client_name a number', { ...valid, client_name: 42 }, /client_name is not a string/],
    ['client_name too long', { ...valid, client_name: 'x'.repeat(61) }, /longer than 60/],
    ['client_name with a bidi override', { ...valid, client_name: 'Claude\u202e' }, /control characters/],
    ['client_name over two lines', { ...valid, client_name: 'Claude\n(from claude.ai)' }, /control characters/],
    ['logo_uri on http', { ...valid, logo_uri: 'http://app.example/logo.png' }, /logo_uri is not an https URL/],
    ['logo_uri data:', { ...valid, logo_uri: 'data:image/png;base64,AAAA' }, /logo_uri is not an https URL/],
    ['client_uri not a URL', { ...valid, client_uri: 'https://' }, /client_uri is not an https URL/],
    ['client_uri javascript:', { ...valid, client_uri: 'javascript:alert(1)' }, /client_uri/],
  ];
  for (const [name, document, refused] of refusals) {
    test(`refused: ${name}`, () => assert.match(reason(document), refused));
  }

  test('a name of 60 characters (counted as characters, not UTF-16 units) is kept', () => {
    assert.equal(readMetadataDocument(ID, { ...valid, client_name: '😀'.repeat(60) }).clientName, '😀'.repeat(60));
    assert.equal(readMetadataDocument(ID, { ...valid, client_name: '   ' }).clientName, 'app.example');
  });
});

test('FetchSlots: per host and overall, first come first served, a busy host holds up no other', async () => {
  const slots = new FetchSlots(2, 3, 1);
  const never = new AbortController().signal;
  const events: string[] = [];
  const take = (host: string, name: string) =>
    slots.take(host, never).then(
      (giveBack) => {
        events.push(`${name} in`);
        return giveBack;
      },
      (error: Error) => {
        events.push(`${name}: ${error.message}`);
        return () => {};
      },
    );
  const a1 = take('a', 'a1');
  take('a', 'a2');
  take('a', 'a3');
  take('a', 'a4');
  take('b', 'b1');
  take('c', 'c1');
  take('c', 'c2');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, [
    'a1 in',
    'a2 in',
    'a4: too many documents are being fetched from this host at once; try again',
    'b1 in',
    'c2: too many documents are being fetched from this host at once; try again',
  ]);
  const giveBack = await a1;
  giveBack();
  giveBack(); // giving back twice frees one slot, not two
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events.slice(5), ['a3 in'], 'a3 waited longest; c1 waits for room overall');
});

describe('fetchMetadataDocument against an https server', () => {
  const NAME = 'doc.test';
  let server: https.Server;
  let port: number;
  let ca: string;
  /** TCP connections the server accepted, with the address each came in on. */
  const connections: string[] = [];
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const documentFor = (req: IncomingMessage) => ({
    client_id: `https://${req.headers.host}${req.url}`,
    client_name: 'Claude',
    redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
    token_endpoint_auth_method: 'none',
  });
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/good': (req, res) => json(res, documentFor(req), { 'cache-control': 'public, max-age=3600' }),
    '/no-cache-control': (req, res) => json(res, documentFor(req)),
    '/other-id': (req, res) => json(res, { ...documentFor(req), client_id: 'https://elsewhere.example/client' }),
    '/no-redirect-uris': (req, res) => json(res, { ...documentFor(req), redirect_uris: undefined }),
    '/bad-redirect-uri': (req, res) => json(res, { ...documentFor(req), redirect_uris: ['http://evil.example/cb'] }),
    '/secret-method': (req, res) =>
      json(res, { ...documentFor(req), token_endpoint_auth_method: 'client_secret_post' }),
    '/problem-json': (req, res) => json(res, documentFor(req), { 'content-type': 'application/vnd.doc+json' }),
    // declares a length over the limit, then never sends the body: refused on the header alone
    '/big-declared': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '6000' });
      res.flushHeaders();
      held.push(res);
    },
    // chunked, no length: refused once the body passes 5 KiB, though it goes on forever
    '/big-chunked': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"padding": "${'x'.repeat(4000)}`);
      const timer = setInterval(() => res.write('x'.repeat(1000)), 10);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    },
    '/silent': (_req, res) => {
      held.push(res);
    },
    // a body that trickles: a space every 20 ms keeps the connection busy and never ends
    '/trickle': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 20);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    },
    '/redirect': (_req, res) => {
      res.writeHead(302, { location: '/good' });
      res.end();
    },
    '/moved': (_req, res) => {
      res.writeHead(301, { location: 'https://169.254.169.254/latest/meta-data/' });
      res.end();
    },
    '/html': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(JSON.stringify(documentFor(req)));
    },
    '/no-type': (req, res) => {
      res.writeHead(200);
      res.end(JSON.stringify(documentFor(req)));
    },
    '/gzip': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(Buffer.from([0x1f, 0x8b]));
    },
    '/broken-json': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"client_id": ');
    },
    '/not-utf8': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    },
    '/created': (req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(documentFor(req)));
    },
  };

  before(async () => {
    const certificates = await testCertificates([NAME, 'localhost'], ['127.0.0.1']);
    ca = certificates.ca;
    server = https.createServer({ cert: certificates.cert, key: certificates.key }, (req, res) => {
      const route = routes[new URL(req.url ?? '/', 'https://x').pathname];
      if (route) return route(req, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{}');
    });
    server.on('connection', (socket: Socket) => {
      connections.push(socket.localAddress ?? '?');
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    for (const timer of timers) clearInterval(timer);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A resolver that answers from a table and counts its questions. */
  const resolver = (answers: Record<string, string[][]>) => {
    const asked: string[] = [];
    const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
      const turn = asked.filter((h) => h === hostname).length;
      asked.push(hostname);
      const list = answers[hostname];
      if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return list[Math.min(turn, list.length - 1)]!.map((address) => ({
        address,
        family: address.includes(':') ? 6 : 4,
      }));
    };
    return { resolve, asked };
  };
  const loopback = () => resolver({ [NAME]: [['127.0.0.1']] }).resolve;
  const url = (path: string, host = NAME) => `https://${host}:${port}${path}`;
  /** What the tests fetch with: the test authority, loopback allowed, the name resolving to the server. */
  const local = (more: FetchOptions = {}): FetchOptions => ({
    allowPrivate: true,
    resolve: loopback(),
    ca,
    slots: new FetchSlots(),
    ...more,
  });
  const refusal = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof ClientMetadataError, `a ClientMetadataError, not ${String(error)}`);
      return error.message;
    }
    return 'accepted';
  };

  test('the happy path: fetched, validated, reused for as long as Cache-Control says', async () => {
    const clientId = url('/good');
    const loaded = await loadClientMetadata(clientId, local());
    assert.deepEqual(loaded, {
      metadata: {
        clientId,
        clientName: 'Claude',
        host: `${NAME}:${port}`,
        redirectUris: ['https://claude.ai/api/mcp/auth_callback'],
        clientUri: undefined,
        logoUri: undefined,
      },
      lifetimeSeconds: 3600,
    });
    const plain = await fetchMetadataDocument(url('/no-cache-control'), local());
    assert.equal(plain.lifetimeSeconds, 300, 'no Cache-Control: 5 minutes');
    assert.equal((plain.document as { client_name: string }).client_name, 'Claude');
    const typed = await fetchMetadataDocument(url('/problem-json'), local());
    assert.equal((typed.document as { client_name: string }).client_name, 'Claude', 'a +json type is JSON');
  });

  test('the request: GET with Accept: application/json, the name in Host, the query kept', async () => {
    let seen: IncomingMessage | undefined;
    routes['/echo'] = (req, res) => {
      seen = req;
      json(res, documentFor(req));
    };
    await fetchMetadataDocument(url('/echo?v=2'), local());
    assert.equal(seen?.method, 'GET');
    assert.equal(seen?.headers.accept, 'application/json');
    assert.equal(seen?.headers.host, `${NAME}:${port}`);
    assert.equal(seen?.url, '/echo?v=2');
    assert.equal(seen?.headers['accept-encoding'], undefined, 'no compression asked for');
  });

  const documentRefusals: [string, RegExp][] = [
    ['/other-id', /client_id differs from its URL/],
    ['/no-redirect-uris', /no redirect_uris/],
    ['/bad-redirect-uri', /redirect_uris\[0\] must use https/],
    ['/secret-method', /token_endpoint_auth_method is not none/],
  ];
  for (const [path, refused] of documentRefusals) {
    test(`a document that does not validate is refused: ${path}`, async () => {
      assert.match(await refusal(loadClientMetadata(url(path), local())), refused);
    });
  }

  const fetchRefusals: [string, RegExp][] = [
    ['/big-declared', /larger than 5120 bytes/],
    ['/big-chunked', /larger than 5120 bytes/],
    ['/redirect', /redirects elsewhere; redirects are not followed/],
    ['/moved', /redirects elsewhere/],
    ['/html', /not served as JSON/],
    ['/no-type', /not served as JSON/],
    ['/gzip', /served compressed/],
    ['/broken-json', /not valid JSON/],
    ['/not-utf8', /not valid JSON/],
    ['/missing', /answered HTTP 404, not 200/],
    ['/created', /answered HTTP 201, not 200/],
  ];
  for (const [path, refused] of fetchRefusals) {
    test(`refused while fetching: ${path}`, async () => {
      const started = Date.now();
      assert.match(await refusal(fetchMetadataDocument(url(path), local())), refused);
      assert.ok(Date.now() - started < 4000, 'at once, not at the 5 s deadline');
    });
  }

  test('a redirect is not followed: the server is asked once', async () => {
    let asked = 0;
    const good = routes['/good']!;
    routes['/counted-good'] = (req, res) => {
      asked++;
      good(req, res);
    };
    routes['/to-counted'] = (_req, res) => {
      res.writeHead(307, { location: '/counted-good' });
      res.end();
    };
    await refusal(fetchMetadataDocument(url('/to-counted'), local()));
    assert.equal(asked, 0);
  });

  for (const [path, what] of [
    ['/silent', 'headers that never come'],
    ['/trickle', 'a body that trickles and never ends'],
  ] as const) {
    test(`too slow: ${what} is cut off at the deadline, which counts everything`, async () => {
      const started = Date.now();
      const reason = await refusal(fetchMetadataDocument(url(path), local({ timeoutMs: 300 })));
      const took = Date.now() - started;
      assert.match(reason, /took longer than 0.3 seconds/);
      assert.ok(took >= 280 && took < 3000, `took ${took} ms`);
    });
  }

  test('the deadline is 5 seconds by default', async () => {
    const started = Date.now();
    const reason = await refusal(fetchMetadataDocument(url('/silent'), local()));
    assert.match(reason, /took longer than 5 seconds/);
    assert.ok(Date.now() - started >= 4900);
  });

  test('loopback is refused with the setting off, before any connection', async () => {
    const before = connections.length;
    assert.match(
      await refusal(fetchMetadataDocument(url('/good', '127.0.0.1'), { ca, slots: new FetchSlots() })),
      /the host resolves to a loopback address/,
    );
    assert.match(
      await refusal(fetchMetadataDocument(url('/good'), { ca, resolve: loopback(), slots: new FetchSlots() })),
      /the host resolves to a loopback address/,
    );
    assert.match(
      await refusal(fetchMetadataDocument(url('/good', 'localhost'), { ca, slots: new FetchSlots() })),
      /the host resolves to a loopback address/,
      'with the system resolver',
    );
    assert.equal(connections.length, before, 'no connection was made');
    // the same URLs with the setting on
    await fetchMetadataDocument(url('/good', '127.0.0.1'), local());
    await fetchMetadataDocument(url('/good', 'localhost'), local({ resolve: undefined }));
  });

  test('one refused address among public ones refuses the host', async () => {
    const { resolve, asked } = resolver({ [NAME]: [['93.184.215.14', '10.0.0.7']] });
    assert.match(
      await refusal(fetchMetadataDocument(url('/good'), { ca, resolve, slots: new FetchSlots() })),
      /the host resolves to a private address/,
    );
    assert.deepEqual(asked, [NAME]);
    const v6 = resolver({ [NAME]: [['2606:4700::1', 'fd00::1']] });
    assert.match(
      await refusal(fetchMetadataDocument(url('/good'), { ca, resolve: v6.resolve, slots: new FetchSlots() })),
      /private address/,
    );
  });

  test('rebinding: the connection goes to the address checked, and the name is resolved once', async () => {
    // first answer: where the server listens; any later answer: an address nothing listens on
    const first = resolver({ [NAME]: [['127.0.0.1'], ['127.0.0.2']] });
    const before = connections.length;
    await fetchMetadataDocument(url('/good'), local({ resolve: first.resolve }));
    assert.deepEqual(first.asked, [NAME], 'asked once');
    assert.deepEqual(connections.slice(before), ['127.0.0.1'], 'connected to the checked address');
    // and the other way round: the first answer is used even when a later one would have worked
    const second = resolver({ [NAME]: [['127.0.0.2'], ['127.0.0.1']] });
    assert.match(
      await refusal(fetchMetadataDocument(url('/good'), local({ resolve: second.resolve }))),
      /refused the connection/,
    );
    assert.deepEqual(second.asked, [NAME]);
  });

  test('TLS is checked for the name, though the connection goes to an address', async () => {
    const other = resolver({ 'other.test': [['127.0.0.1']] });
    assert.match(
      await refusal(fetchMetadataDocument(url('/good', 'other.test'), local({ resolve: other.resolve }))),
      /TLS certificate is not valid for it/,
    );
    assert.match(
      await refusal(fetchMetadataDocument(url('/good'), local({ ca: undefined }))),
      /TLS certificate is not valid for it/,
      'an authority nobody trusts',
    );
  });

  test('only https URLs are fetched', async () => {
    for (const bad of ['http://doc.test/client', 'not a url', 'file:///etc/passwd'])
      assert.match(await refusal(fetchMetadataDocument(bad, local())), /not an https URL/);
    assert.match(await refusal(loadClientMetadata(url('/'), local())), /not an https URL with a path/);
  });

  test('a name that does not resolve, and one that resolves to nothing', async () => {
    const { resolve } = resolver({ 'empty.test': [[]] });
    assert.match(await refusal(fetchMetadataDocument(url('/good', 'nowhere.test'), local({ resolve }))), /not resolve/);
    assert.match(await refusal(fetchMetadataDocument(url('/good', 'empty.test'), local({ resolve }))), /not resolve/);
  });

  test('at most 2 fetches in flight per host: more wait their turn, or are refused when too many wait', async () => {
    held.splice(0);
    const slots = new FetchSlots(2, 16, 1);
    const release = () => {
      for (const res of held.splice(0)) {
        const text = JSON.stringify({ ok: true });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(text);
      }
    };
    const options = local({ slots, timeoutMs: 3000 });
    const first = fetchMetadataDocument(url('/silent'), options);
    const second = fetchMetadataDocument(url('/silent'), options);
    const third = fetchMetadataDocument(url('/silent'), options);
    const started = Date.now();
    assert.match(await refusal(fetchMetadataDocument(url('/silent'), options)), /too many documents/);
    assert.ok(Date.now() - started < 500, 'refused at once');
    // another host is not held up by this one
    const elsewhere = await fetchMetadataDocument(url('/good', 'localhost'), local({ slots, resolve: undefined }));
    assert.equal((elsewhere.document as { client_name: string }).client_name, 'Claude');
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(held.length, 2, 'the third has not reached the server');
    release();
    await first;
    await second;
    while (held.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    assert.deepEqual((await third).document, { ok: true });
  });

  test('at most 2 host-name lookups pending, counted until they end even past the deadline', async () => {
    const slots = new FetchSlots(2, 16, 4, 2);
    const answers: (() => void)[] = [];
    // a DNS server that never answers, until the test lets it
    const hanging = (hostname: string) =>
      hostname === NAME
        ? Promise.resolve([{ address: '127.0.0.1', family: 4 as const }])
        : new Promise<ResolvedAddress[]>((resolve) => answers.push(() => resolve([])));
    const options = local({ slots, resolve: hanging, timeoutMs: 150 });
    const first = fetchMetadataDocument(url('/good', 'slow1.test'), options);
    const second = fetchMetadataDocument(url('/good', 'slow2.test'), options);
    assert.match(await refusal(fetchMetadataDocument(url('/good', 'slow3.test'), options)), /too many host names/);
    assert.match(await refusal(first), /took longer/);
    assert.match(await refusal(second), /took longer/);
    assert.match(await refusal(fetchMetadataDocument(url('/good'), options)), /too many host names/, 'still pending');
    for (const answer of answers) answer();
    await new Promise((resolve) => setImmediate(resolve));
    await fetchMetadataDocument(url('/good'), local({ slots }));
  });

  test('a fetch waiting for a slot gives up at its deadline', async () => {
    const slots = new FetchSlots(1, 16, 4);
    const holding = fetchMetadataDocument(url('/silent'), local({ slots, timeoutMs: 600 }));
    const waiting = await refusal(fetchMetadataDocument(url('/good'), local({ slots, timeoutMs: 200 })));
    assert.match(waiting, /too many documents are being fetched from this host/);
    assert.match(await refusal(holding), /took longer/);
    // its slot is free again
    await fetchMetadataDocument(url('/good'), local({ slots }));
  });
});
