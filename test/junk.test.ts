// SPEC §7: every endpoint answers generated junk (missing, repeated, huge, wrong-typed, non-UTF-8
// parameters, wrong content types, odd Authorization headers, random-but-plausible ids) with a 4xx in
// its format (or a legitimate 200/302), never a 5xx, never a stack trace. Seeded: set JUNK_SEED to
// replay a run; JUNK_RUNS to change the number of requests per endpoint.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import {
  authorize,
  cookieHeader,
  cookiesOf,
  csrfOf,
  exchangeCode,
  makeUser,
  pkcePair,
  registerApp,
  signIn,
  testApp,
  type TestContext,
} from './support/app.js';
import { ENDPOINTS, junkRequest, oddFieldRequests, problemWith, showRequest, type JunkSeed } from './support/junk.js';

const SEED = Number(process.env.JUNK_SEED ?? 20261128);
const RUNS = Number(process.env.JUNK_RUNS ?? 60);

let ctx: TestContext;
before(async () => (ctx = await testApp({ ACCESS_TOKEN_TTL: '3600' })));
after(() => ctx.close());

/** A fresh app, user, session, tokens and an unused code, so each endpoint's junk meets live state. */
async function plant(n: number): Promise<JunkSeed> {
  const redirectUri = 'https://client.example/cb';
  const client = await registerApp(ctx.app, { redirect_uris: [redirectUri, 'urn:ietf:wg:oauth:2.0:oob'] });
  const { username, password } = await makeUser(ctx.deps, `junk${n}`);
  const jar = await signIn(ctx.app, username, password);
  const first = await exchangeCode(
    ctx.app,
    client,
    await authorize(ctx.app, client, jar, { scope: 'read write profile' }),
  );
  const { access_token: userToken, refresh_token: refreshToken } = first.json();
  const { verifier, challenge } = pkcePair();
  const code = await authorize(ctx.app, client, jar, { scope: 'read', challenge, state: 's' });
  const appToken = (
    await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        scope: 'read',
      },
    })
  ).json().access_token;
  const page = await ctx.app.inject({ url: '/oauth/authorized_applications', headers: { cookie: cookieHeader(jar) } });
  const csrf = csrfOf(page.body);
  return {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    redirectUri,
    userToken,
    appToken,
    refreshToken,
    code,
    verifier,
    challenge,
    username,
    password,
    cookie: cookieHeader(cookiesOf(page, jar)),
    csrf,
  };
}

ENDPOINTS.forEach((endpoint, n) => {
  test(`${endpoint.method} ${endpoint.path} answers junk in its format, never with a 5xx`, async () => {
    const seed = await plant(n);
    await fc.assert(
      fc.asyncProperty(junkRequest(endpoint, seed), async (request) => {
        const res = await ctx.app.inject({
          method: request.method,
          url: request.url,
          headers: request.headers,
          ...(request.body ? { payload: request.body } : {}),
        });
        const problem = problemWith(endpoint, { status: res.statusCode, headers: res.headers, body: res.body });
        if (problem) throw new Error(`${problem}\n${showRequest(request)}`);
      }),
      {
        seed: SEED + n,
        numRuns: RUNS,
        endOnFailure: true,
        // The failing request is described in the error; the default report would print bodies of 70 KiB.
        reporter: (run) => {
          if (run.failed)
            throw new Error(
              `junk run failed (seed ${run.seed}, path "${run.counterexamplePath}"): ${String(run.errorInstance).slice(0, 3000)}`,
            );
        },
      },
    );
  });
});

ENDPOINTS.filter((e) => e.kind === 'page' && e.params.length > 0).forEach((endpoint, n) => {
  test(`${endpoint.method} ${endpoint.path}: every form field with non-ASCII or control characters, never a 5xx`, async () => {
    const seed = await plant(100 + n);
    const requests = oddFieldRequests(endpoint, seed);
    assert.ok(requests.length > 0);
    for (const request of requests) {
      const res = await ctx.app.inject({
        method: request.method,
        url: request.url,
        headers: request.headers,
        ...(request.body ? { payload: request.body } : {}),
      });
      const problem = problemWith(endpoint, { status: res.statusCode, headers: res.headers, body: res.body });
      if (problem) assert.fail(`${problem}\n${showRequest(request)}`);
    }
  });
});

test('a multipart body without a boundary, or cut short, is 400 in the format of the route', async () => {
  const part = '--B\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--B--\r\n';
  for (const type of ['multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=other']) {
    const api = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': type },
      payload: part,
    });
    assert.equal(api.statusCode, 400, type);
    assert.equal(api.json().error, 'invalid_request');
    const page = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_in',
      headers: { 'content-type': type },
      payload: part,
    });
    assert.equal(page.statusCode, 400, type);
    assert.match(String(page.headers['content-type']), /^text\/html/);
  }
  const cut = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    headers: { 'content-type': 'multipart/form-data; boundary=B' },
    payload: part.slice(0, 30),
  });
  assert.equal(cut.statusCode, 400);
  assert.equal(cut.json().error, 'invalid_request');
});

test('a multipart body with a file part or more than 100 parts is 400, over 64 KiB 413, all invalid_request', async () => {
  const field = (name: string, value: string) =>
    `--B\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const file =
    '--B\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n';
  const headers = { 'content-type': 'multipart/form-data; boundary=B' };
  const withFile = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers,
    payload: `${field('grant_type', 'client_credentials')}${file}--B--\r\n`,
  });
  assert.equal(withFile.statusCode, 400);
  assert.deepEqual(withFile.json(), { error: 'invalid_request', error_description: 'File parts are not accepted.' });
  const many = Array.from({ length: 101 }, (_, i) => field(`p${i}`, '1')).join('');
  const tooMany = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers,
    payload: `${field('grant_type', 'client_credentials')}${many}--B--\r\n`,
  });
  assert.equal(tooMany.statusCode, 400);
  assert.equal(tooMany.json().error, 'invalid_request');
  assert.match(tooMany.json().error_description, /at most 100 parameters/);
  const repeated = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers,
    payload: `${field('grant_type', 'client_credentials')}${field('grant_type', 'client_credentials')}--B--\r\n`,
  });
  assert.equal(repeated.statusCode, 400, 'a repeated parameter is refused as in a form');
  assert.match(repeated.json().error_description, /grant_type/);
  const big = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers,
    payload: `${field('grant_type', 'client_credentials')}${field('padding', 'x'.repeat(70 * 1024))}--B--\r\n`,
  });
  assert.equal(big.statusCode, 413, 'the body limit holds for multipart too');
  assert.equal(big.json().error, 'invalid_request');
});

test('a NUL in a parameter or in Basic credentials is 400 invalid_request, not a failed query', async () => {
  const seed = await plant(ENDPOINTS.length);
  const inBody = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: `grant_type=client_credentials&client_id=${seed.clientId}%00&client_secret=${seed.clientSecret}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(inBody.statusCode, 400);
  assert.equal(inBody.json().error, 'invalid_request');
  const inJson = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/apps',
    payload: { client_name: 'A\u0000', redirect_uris: ['https://a.example/cb'] },
  });
  assert.equal(inJson.statusCode, 422);
  const basic = Buffer.from(`${seed.clientId}\u0000:${seed.clientSecret}`).toString('base64');
  const inBasic = await ctx.app.inject({
    method: 'POST',
    url: '/oauth/introspect',
    payload: { token: seed.userToken },
    headers: { authorization: `Basic ${basic}` },
  });
  assert.equal(inBasic.statusCode, 400);
  assert.equal(inBasic.json().error, 'invalid_request');
  const page = await ctx.app.inject({
    url: `/oauth/authorize?response_type=code&client_id=${seed.clientId}%00&redirect_uri=${encodeURIComponent(seed.redirectUri)}`,
  });
  assert.equal(page.statusCode, 400);
  assert.match(String(page.headers['content-type']), /^text\/html/);
});

test('with rate limits on and registration closed, junk still gets 4xx in the format of each route', async () => {
  const limited = await testApp({
    RATE_LIMIT: 'on',
    RATE_LIMIT_TOKEN: '20',
    RATE_LIMIT_SIGN_IN: '3',
    RATE_LIMIT_APPS: '2',
    APP_REGISTRATION: 'closed',
  });
  try {
    const seed: JunkSeed = {
      clientId: 'c'.repeat(43),
      clientSecret: 's'.repeat(43),
      redirectUri: 'https://client.example/cb',
      userToken: 'u'.repeat(43),
      appToken: 'a'.repeat(43),
      refreshToken: 'r'.repeat(43),
      code: 'k'.repeat(43),
      verifier: 'v'.repeat(43),
      challenge: 'h'.repeat(43),
      username: 'nobody',
      password: 'nothing',
      cookie: 'doorman_csrf=x',
      csrf: 'x',
    };
    const statuses = new Set<number>();
    for (const [n, endpoint] of ENDPOINTS.entries()) {
      if (endpoint.method !== 'POST') continue;
      await fc.assert(
        fc.asyncProperty(junkRequest(endpoint, seed), async (request) => {
          const res = await limited.app.inject({
            method: request.method,
            url: request.url,
            headers: request.headers,
            ...(request.body ? { payload: request.body } : {}),
          });
          statuses.add(res.statusCode);
          const problem = problemWith(endpoint, { status: res.statusCode, headers: res.headers, body: res.body });
          if (problem) throw new Error(`${problem}\n${showRequest(request)}`);
        }),
        {
          seed: SEED + 100 + n,
          numRuns: Math.ceil(RUNS / 2),
          endOnFailure: true,
          reporter: (run) => {
            if (run.failed)
              throw new Error(
                `junk run failed (seed ${run.seed}, path "${run.counterexamplePath}"): ${String(run.errorInstance).slice(0, 3000)}`,
              );
          },
        },
      );
    }
    assert.ok(statuses.has(429), `no request was limited: ${[...statuses].join(', ')}`);
    assert.ok(statuses.has(403), 'registration closed was never met');
  } finally {
    await limited.close();
  }
});

test('other methods on every endpoint are answered below 500 and never show internals', async () => {
  const paths = [...new Set(ENDPOINTS.map((e) => e.path))];
  for (const path of paths) {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const) {
      for (const headers of [
        {},
        { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
        { 'content-type': 'application/json' },
      ]) {
        const res = await ctx.app.inject({
          method,
          url: `${path}?x=%ZZ`,
          headers,
          ...(method === 'HEAD' || method === 'OPTIONS' ? {} : { payload: '{"a":' }),
        });
        assert.ok(res.statusCode < 500, `${method} ${path}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        assert.doesNotMatch(res.body, /\n\s+at |node_modules|\.ts:\d+/, `${method} ${path}`);
        if (res.statusCode >= 400 && method !== 'HEAD')
          assert.ok(res.body.length > 0, `${method} ${path}: an empty ${res.statusCode}`);
      }
    }
  }
});
