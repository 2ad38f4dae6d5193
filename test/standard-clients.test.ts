// SPEC §8, first three parts: RFC 7591 registration at /oauth/register, public clients (no secret,
// PKCE S256, client_id alone at token and revoke, never client_credentials or introspection), and
// resource indicators (RFC 8707) bound into codes and tokens and seen by introspection as `aud`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auditHistory } from '../src/audit/history.js';
import { listApplications, registerApplication } from '../src/oauth/applications.js';
import {
  authorize,
  cookieHeader,
  exchangeCode,
  makeUser,
  pkcePair,
  signIn,
  testApp,
  type RegisteredApp,
  type TestContext,
} from './support/app.js';

const TTL = 3600;
const API_A = 'https://api-a.example/mcp';
const API_B = 'https://api-b.example/';
const CALLBACK = 'http://127.0.0.1:8976/callback';

let ctx: TestContext;
let jar: Record<string, string>;
let serverA: { client_id: string; client_secret: string };
let serverB: { client_id: string; client_secret: string };

before(async () => {
  ctx = await testApp({ ACCESS_TOKEN_TTL: String(TTL) });
  const { username, password } = await makeUser(ctx.deps, 'alice');
  jar = await signIn(ctx.app, username, password);
  serverA = await resourceServer('API A', [API_A]);
  serverB = await resourceServer('API B', [API_B]);
});
after(() => ctx.close());

async function resourceServer(name: string, resources: string[]) {
  const { app, clientSecret } = await registerApplication(ctx.deps, {
    client_name: name,
    redirect_uris: 'urn:ietf:wg:oauth:2.0:oob',
    resourceServer: true,
    resources,
    registeredBy: 'operator',
  });
  return { client_id: app.clientId, client_secret: clientSecret };
}

function register(metadata: unknown, headers: Record<string, string> = {}) {
  return ctx.app.inject({
    method: 'POST',
    url: '/oauth/register',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(metadata),
  });
}

/** A client registered through RFC 7591, shaped for the support helpers (a public client's secret is undefined). */
async function registered(metadata: Record<string, unknown>): Promise<RegisteredApp> {
  const res = await register({ client_name: 'Standard client', redirect_uris: [CALLBACK], ...metadata });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

const publicClient = (extra: Record<string, unknown> = {}) =>
  registered({ token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], ...extra });

function token(payload: Record<string, string | undefined>) {
  return ctx.app.inject({ method: 'POST', url: '/oauth/token', payload });
}

function introspect(caller: { client_id: string; client_secret?: string }, value: string) {
  return ctx.app.inject({ method: 'POST', url: '/oauth/introspect', payload: { ...caller, token: value } });
}

/** The authorize request's answer: where the browser is sent (error redirects) or the page. */
function authorizeRequest(query: Record<string, string>) {
  return ctx.app.inject({
    method: 'GET',
    url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', redirect_uri: CALLBACK, ...query })}`,
    headers: { cookie: cookieHeader(jar) },
  });
}

function errorOf(location: string | undefined) {
  assert.ok(location, 'a redirect');
  const url = new URL(location);
  return { error: url.searchParams.get('error'), description: url.searchParams.get('error_description') };
}

/** A public client's code flow with PKCE, for `resource` when given: the token answer. */
async function publicFlow(client: RegisteredApp, resource?: string) {
  const { verifier, challenge } = pkcePair();
  const code = await authorize(ctx.app, client, jar, { challenge, ...(resource ? { resource } : {}) });
  const res = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CALLBACK,
    client_id: client.client_id,
    code_verifier: verifier,
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { access_token: string; refresh_token: string; scope: string };
}

describe('POST /oauth/register (RFC 7591)', () => {
  test('a confidential client: 201, its secret once, the metadata as registered with defaults, no-store', async () => {
    const res = await register({ client_name: 'Reader', redirect_uris: ['https://reader.example/cb'], extra: 1 });
    assert.equal(res.statusCode, 201, res.body);
    assert.match(String(res.headers['cache-control']), /no-store/);
    const body = res.json();
    assert.equal(typeof body.client_id, 'string');
    assert.equal(typeof body.client_secret, 'string');
    assert.equal(body.client_secret_expires_at, 0);
    assert.ok(Math.abs(body.client_id_issued_at - Date.now() / 1000) < 60);
    assert.deepEqual(
      { ...body, client_id: 'x', client_secret: 'x', client_id_issued_at: 0 },
      {
        client_id: 'x',
        client_secret: 'x',
        client_id_issued_at: 0,
        client_secret_expires_at: 0,
        client_name: 'Reader',
        redirect_uris: ['https://reader.example/cb'],
        scope: 'read',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    );
    const listed = (await listApplications(ctx.deps)).find((a) => a.clientId === body.client_id);
    assert.equal(listed?.registeredBy, 'dynamic_registration');
    assert.notEqual(listed?.clientSecretHash, body.client_secret, 'only a hash is kept');
    const events = await auditHistory(ctx.deps, { clientId: body.client_id, limit: 10 });
    assert.deepEqual(
      events.map((e) => e.event),
      ['app.registered'],
    );
  });

  test('a public client: no secret; the client uri and logo kept', async () => {
    const res = await register({
      client_name: 'Assistant',
      redirect_uris: ['http://localhost:33418/cb', 'com.example.assistant:/oauth'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      client_uri: 'https://assistant.example',
      logo_uri: 'https://assistant.example/logo.png',
      scope: 'read write',
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.client_secret, undefined);
    assert.equal(body.client_secret_expires_at, undefined);
    assert.equal(body.token_endpoint_auth_method, 'none');
    assert.equal(body.client_uri, 'https://assistant.example');
    assert.equal(body.logo_uri, 'https://assistant.example/logo.png');
    assert.equal(body.scope, 'read write');
  });

  test('bad redirect URIs: 400 invalid_redirect_uri naming the field', async () => {
    for (const redirect_uris of [
      undefined,
      [],
      'https://app.example/cb',
      ['http://app.example/cb'],
      ['https://app.example/cb#frag'],
      ['https://user@app.example/cb'],
      ['https://*.example/cb'],
      ['urn:ietf:wg:oauth:2.0:oob'],
      ['javascript:alert(1)'],
      ['relative/cb'],
    ]) {
      const res = await register({ client_name: 'Bad', redirect_uris });
      assert.equal(res.statusCode, 400, `${JSON.stringify(redirect_uris)}: ${res.body}`);
      assert.equal(res.json().error, 'invalid_redirect_uri', JSON.stringify(redirect_uris));
      assert.match(res.json().error_description, /redirect_uris/);
    }
  });

  test('bad metadata: 400 invalid_client_metadata naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] }, /grant_types/],
      [{ token_endpoint_auth_method: 'private_key_jwt' }, /token_endpoint_auth_method/],
      [{ grant_types: ['implicit'] }, /grant_types/],
      [{ grant_types: 'authorization_code' }, /grant_types/],
      [{ response_types: ['token'] }, /response_types/],
      [{ scope: 'read admin:everything' }, /scope/],
      [{ scope: ['read'] }, /scope/],
      [{ client_name: '' }, /client_name/],
      [{ client_name: 'x'.repeat(61) }, /client_name/],
      [{ client_name: 'nul\u0000' }, /client_name/],
      [{ client_uri: 'ftp://files.example' }, /client_uri/],
      [{ logo_uri: 42 }, /logo_uri/],
    ];
    for (const [fields, field] of cases) {
      const res = await register({ client_name: 'Bad', redirect_uris: [CALLBACK], ...fields });
      assert.equal(res.statusCode, 400, `${JSON.stringify(fields)}: ${res.body}`);
      assert.equal(res.json().error, 'invalid_client_metadata', JSON.stringify(fields));
      assert.match(res.json().error_description, field, JSON.stringify(fields));
    }
  });

  test('client_credentials alone needs no redirect URI; a form or a JSON array is refused', async () => {
    const res = await register({ client_name: 'Batch job', grant_types: ['client_credentials'] });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().redirect_uris, []);
    assert.deepEqual(res.json().response_types, []);

    const form = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/register',
      payload: new URLSearchParams({ client_name: 'Form', redirect_uris: CALLBACK }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.statusCode, 400);
    assert.equal(form.json().error, 'invalid_client_metadata');
    const list = await register([{ client_name: 'x' }]);
    assert.equal(list.statusCode, 400);
    assert.equal(list.json().error, 'invalid_client_metadata');
  });

  test('the metadata lists registration and the public-client method where it applies', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    const metadata = res.json();
    assert.equal(metadata.registration_endpoint, 'http://doorman.test/oauth/register');
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('none'));
    assert.ok(metadata.revocation_endpoint_auth_methods_supported.includes('none'));
    assert.ok(!metadata.introspection_endpoint_auth_methods_supported.includes('none'));
  });
});

describe('registration closed', () => {
  let closed: TestContext;
  before(async () => {
    closed = await testApp({ APP_REGISTRATION: 'closed' });
  });
  after(() => closed.close());

  test('403 access_denied, and no registration_endpoint in the metadata', async () => {
    const res = await closed.app.inject({
      method: 'POST',
      url: '/oauth/register',
      payload: { client_name: 'x', redirect_uris: [CALLBACK] },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'access_denied');
    const metadata = (
      await closed.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    ).json();
    assert.equal(metadata.registration_endpoint, undefined);
  });
});

describe('public clients', () => {
  test('the code flow with PKCE, client_id alone; a refresh; revocation with client_id alone', async () => {
    const client = await publicClient();
    const issued = await publicFlow(client);
    assert.ok(issued.refresh_token, 'rotating refresh tokens as any client');

    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: issued.refresh_token,
      client_id: client.client_id,
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const { access_token } = refreshed.json();

    const me = () =>
      ctx.app.inject({
        method: 'GET',
        url: '/api/v1/accounts/verify_credentials',
        headers: { authorization: `Bearer ${access_token}` },
      });
    assert.equal((await me()).statusCode, 200);
    const revoked = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      payload: { client_id: client.client_id, token: access_token },
    });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal((await me()).statusCode, 401);
  });

  test('a second code of a client that has had tokens takes the one-statement path too', async () => {
    const client = await publicClient();
    await publicFlow(client);
    const fast = () => ctx.deps.metrics.registry.getSingleMetric('doorman_token_path_total')!.get();
    const before = (await fast()).values.find(
      (v) => v.labels.grant === 'authorization_code' && v.labels.path === 'fast',
    )?.value;
    await publicFlow(client);
    const afterwards = (await fast()).values.find(
      (v) => v.labels.grant === 'authorization_code' && v.labels.path === 'fast',
    )?.value;
    assert.equal(afterwards, (before ?? 0) + 1);
  });

  test('without PKCE: an error redirect invalid_request; without the verifier: invalid_grant', async () => {
    const client = await publicClient();
    const res = await authorizeRequest({ client_id: client.client_id });
    assert.equal(res.statusCode, 302);
    assert.equal(errorOf(res.headers.location as string).error, 'invalid_request');

    const { challenge } = pkcePair();
    const code = await authorize(ctx.app, client, jar, { challenge });
    const noVerifier = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK,
      client_id: client.client_id,
    });
    assert.equal(noVerifier.statusCode, 400);
    assert.equal(noVerifier.json().error, 'invalid_grant');
  });

  test('never client_credentials (400 unauthorized_client), never introspection (401), never with a secret', async () => {
    const client = await publicClient();
    const cc = await token({ grant_type: 'client_credentials', client_id: client.client_id });
    assert.equal(cc.statusCode, 400, cc.body);
    assert.equal(cc.json().error, 'unauthorized_client');

    const { access_token } = await publicFlow(client);
    const looked = await introspect({ client_id: client.client_id }, access_token);
    assert.equal(looked.statusCode, 401);
    assert.equal(looked.json().error, 'invalid_client');

    const withSecret = await token({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: 'guessed',
    });
    assert.equal(withSecret.statusCode, 401);
    assert.equal(withSecret.json().error, 'invalid_client');
  });

  test('a confidential client without its secret is not taken for a public one', async () => {
    const client = await registered({ grant_types: ['authorization_code', 'client_credentials'] });
    const res = await token({ grant_type: 'client_credentials', client_id: client.client_id });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_client');
    const revoke = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      payload: { client_id: client.client_id, token: 'anything' },
    });
    assert.equal(revoke.statusCode, 403);
  });

  test('an RFC 7591 client uses the grants it registered: client_credentials only when asked for', async () => {
    const codeOnly = await registered({});
    const refused = await token({
      grant_type: 'client_credentials',
      client_id: codeOnly.client_id,
      client_secret: codeOnly.client_secret,
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().error, 'unauthorized_client');

    const batch = await registered({ grant_types: ['client_credentials'], redirect_uris: undefined });
    for (let i = 0; i < 2; i++) {
      const res = await token({
        grant_type: 'client_credentials',
        client_id: batch.client_id,
        client_secret: batch.client_secret,
      });
      assert.equal(res.statusCode, 200, res.body);
    }
    const cannotAuthorize = await registered({ grant_types: ['client_credentials'] });
    const res = await authorizeRequest({ client_id: cannotAuthorize.client_id });
    assert.equal(errorOf(res.headers.location as string).error, 'unauthorized_client');
  });
});

describe('resource indicators (RFC 8707)', () => {
  test('an unregistered or malformed resource at authorize: an error redirect invalid_target', async () => {
    const client = await publicClient();
    const { challenge } = pkcePair();
    for (const resource of ['https://nobody.example/api', 'https://api-a.example/mcp#x', 'not a uri']) {
      const res = await authorizeRequest({
        client_id: client.client_id,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource,
      });
      assert.equal(res.statusCode, 302, resource);
      assert.equal(errorOf(res.headers.location as string).error, 'invalid_target', resource);
    }
  });

  test('the consent page names the resource and says the client registered itself', async () => {
    const client = await publicClient({ client_name: 'Helpful Assistant' });
    const { challenge } = pkcePair();
    const page = await authorizeRequest({
      client_id: client.client_id,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: API_A,
    });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(
      page.body,
      /Helpful Assistant<\/strong> wants access to <strong class="resource">https:\/\/api-a\.example\/mcp/,
    );
    assert.match(page.body, /registered itself/);

    const mastodonApp = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/apps',
      payload: { client_name: 'Mastodon app', redirect_uris: CALLBACK },
    });
    const plain = await authorizeRequest({ client_id: mastodonApp.json().client_id });
    assert.equal(plain.statusCode, 200);
    assert.doesNotMatch(plain.body, /registered itself|wants access to/);
  });

  test('a code for A: token bound to A; naming B at the token endpoint is invalid_target and keeps the code', async () => {
    const client = await registered({ grant_types: ['authorization_code', 'refresh_token'] });
    const code = await authorize(ctx.app, client, jar, { resource: API_A });
    const wrong = await exchangeCode(ctx.app, client, code, { resource: API_B });
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.equal(wrong.json().error, 'invalid_target');
    const right = await exchangeCode(ctx.app, client, code, { resource: API_A });
    assert.equal(right.statusCode, 200, right.body);
    const { access_token, refresh_token } = right.json();

    const byA = (await introspect(serverA, access_token)).json();
    assert.equal(byA.active, true);
    assert.equal(byA.aud, API_A);
    assert.equal(byA.username, 'alice');
    assert.deepEqual((await introspect(serverB, access_token)).json(), { active: false });
    const byOwner = (await introspect(client, access_token)).json();
    assert.equal(byOwner.active, true, 'a client sees its own tokens');

    const otherTarget = await token({
      grant_type: 'refresh_token',
      refresh_token,
      resource: API_B,
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    assert.equal(otherTarget.statusCode, 400, otherTarget.body);
    assert.equal(otherTarget.json().error, 'invalid_target');
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token,
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    assert.equal((await introspect(serverA, refreshed.json().access_token)).json().aud, API_A, 'kept on refresh');

    const me = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/accounts/verify_credentials',
      headers: { authorization: `Bearer ${access_token}` },
    });
    assert.equal(me.statusCode, 200, 'Doorman’s own endpoints accept any live token');
  });

  test('a code without a resource cannot be turned into one for a resource', async () => {
    const client = await registered({});
    const code = await authorize(ctx.app, client, jar);
    const res = await exchangeCode(ctx.app, client, code, { resource: API_A });
    assert.equal(res.json().error, 'invalid_target');
    const unbound = await exchangeCode(ctx.app, client, code);
    assert.equal(unbound.statusCode, 200);
    const { access_token } = unbound.json();
    for (const server of [serverA, serverB]) {
      const seen = (await introspect(server, access_token)).json();
      assert.equal(seen.active, true, 'a token bound to none is seen by every resource server');
      assert.equal(seen.aud, undefined);
    }
  });

  test('client_credentials names its audience; unregistered or malformed: invalid_target', async () => {
    const app = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/apps',
      payload: { client_name: 'Batch', redirect_uris: CALLBACK },
    });
    const { client_id, client_secret } = app.json();
    for (let i = 0; i < 2; i++) {
      const res = await token({ grant_type: 'client_credentials', client_id, client_secret, resource: API_B });
      assert.equal(res.statusCode, 200, res.body);
      const seen = (await introspect(serverB, res.json().access_token)).json();
      assert.equal(seen.aud, API_B);
      assert.deepEqual((await introspect(serverA, res.json().access_token)).json(), { active: false });
    }
    for (const resource of ['https://nobody.example/', 'relative', `${API_B}#x`]) {
      const res = await token({ grant_type: 'client_credentials', client_id, client_secret, resource });
      assert.equal(res.statusCode, 400, resource);
      assert.equal(res.json().error, 'invalid_target', resource);
    }
  });

  test('consent is remembered per resource', async () => {
    const client = await publicClient();
    await publicFlow(client, API_A);
    const { challenge } = pkcePair();
    const query = { client_id: client.client_id, code_challenge: challenge, code_challenge_method: 'S256' };
    const again = await authorizeRequest({ ...query, resource: API_A });
    assert.equal(again.statusCode, 302, 'remembered for A');
    assert.ok(new URL(again.headers.location as string).searchParams.get('code'));
    const other = await authorizeRequest({ ...query, resource: API_B });
    assert.equal(other.statusCode, 200, 'asked again for B');
  });

  test('resources belong to one resource server, and only to a resource server', async () => {
    await assert.rejects(
      registerApplication(ctx.deps, {
        client_name: 'Thief',
        redirect_uris: CALLBACK,
        resourceServer: true,
        resources: [API_A],
      }),
      /already registered/,
    );
    await assert.rejects(
      registerApplication(ctx.deps, { client_name: 'Not a server', redirect_uris: CALLBACK, resources: [API_B] }),
      /resource server/,
    );
    assert.equal(
      (await listApplications(ctx.deps)).filter((a) => a.name === 'Thief').length,
      0,
      'nothing half-written',
    );
  });
});
