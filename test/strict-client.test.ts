// A strict, spec-checking client library (oauth4webapi) against a real listening Doorman:
// discovery, authorize with PKCE, token with client_secret_basic, refresh, userinfo,
// introspection, revocation. Nothing here bends the library's checks; if it rejects an answer,
// Doorman is wrong.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import * as oauth from 'oauth4webapi';
import { registerApplication } from '../src/oauth/applications.js';
import type { Deps } from '../src/deps.js';
import { listeningApp, makeUser } from './support/app.js';
import type { TestDatabase } from './support/database.js';

const REDIRECT_URI = 'http://127.0.0.1:1/cb'; // never called: the test reads the redirect itself

let server: FastifyInstance;
let database: TestDatabase;
let deps: Deps;
let issuer: URL;

before(async () => {
  const doorman = await listeningApp({ ACCESS_TOKEN_TTL: '3600' });
  ({ app: server, database, deps } = doorman);
  issuer = new URL(doorman.issuer);
});

after(async () => {
  await server.close();
  await database.drop();
});

/** A tiny browser: a cookie jar, no automatic redirects. */
class Browser {
  private jar = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(new URL(url, issuer), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0\b/i.test(line) || /expires=thu, 01 jan 1970/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  postForm(url: string | URL, fields: Record<string, string>): Promise<Response> {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }
}

/** The hidden fields of the first form on a page whose action is `action`. */
function formFields(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
  assert.ok(form, `no form posting to ${action}`);
  const fields: Record<string, string> = {};
  for (const m of form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[m[1]!] = unescapeHtml(m[2]!);
  return fields;
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

test('a strict client completes discovery, PKCE code flow, refresh, userinfo, introspection and revocation', async () => {
  // The relying party: a confidential client registered by the operator.
  const { app: registered, clientSecret } = await registerApplication(deps, {
    client_name: 'Strict client',
    redirect_uris: REDIRECT_URI,
    scopes: 'read write profile',
  });
  await makeUser(deps, 'alice', 'correct horse battery staple');
  const client: oauth.Client = { client_id: registered.clientId };
  const clientAuth = oauth.ClientSecretBasic(clientSecret);
  // Only because the test server is plain http on loopback.
  const insecure = { [oauth.allowInsecureRequests]: true };

  // Discovery (RFC 8414): the issuer in the document must equal the one asked for, exactly.
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  assert.equal(as.issuer, issuer.href.replace(/\/$/, ''));
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  assert.ok(as.grant_types_supported?.includes('refresh_token'));

  // Authorization request with PKCE S256.
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(as.authorization_endpoint!);
  authorizationUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    scope: 'read profile',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();

  // The browser's part, in plain HTTP: sent to sign in, sign in, back to consent, Authorize.
  const browser = new Browser();
  const first = await browser.fetch(authorizationUrl);
  assert.equal(first.status, 302);
  const signInUrl = first.headers.get('location')!;
  assert.match(signInUrl, /^\/auth\/sign_in\?return_to=/);
  const signInPage = await browser.fetch(signInUrl);
  assert.equal(signInPage.status, 200);
  const signInFields = formFields(await signInPage.text(), '/auth/sign_in');
  const signedIn = await browser.postForm('/auth/sign_in', {
    ...signInFields,
    username: 'alice',
    password: 'correct horse battery staple',
  });
  assert.equal(signedIn.status, 303);
  const backToAuthorize = signedIn.headers.get('location')!;
  assert.match(backToAuthorize, /^\/oauth\/authorize\?/);
  const consent = await browser.fetch(backToAuthorize);
  assert.equal(consent.status, 200);
  const consentFields = formFields(await consent.text(), '/oauth/authorize');
  assert.ok(consentFields._csrf, 'the consent form carries a CSRF token');
  const answered = await browser.postForm('/oauth/authorize', { ...consentFields, decision: 'authorize' });
  assert.equal(answered.status, 302);
  assert.equal(answered.headers.get('cache-control'), 'no-store');
  const callback = new URL(answered.headers.get('location')!);
  assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);

  // RFC 9207 iss and the state are checked by the library (a wrong iss is refused).
  const forged = new URL(callback);
  forged.searchParams.set('iss', 'http://127.0.0.1:1');
  assert.throws(() => oauth.validateAuthResponse(as, client, forged, state));
  const params = oauth.validateAuthResponse(as, client, callback, state);

  // Token with client_secret_basic.
  const tokenResponse = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    REDIRECT_URI,
    verifier,
    insecure,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse);
  assert.equal(tokens.token_type, 'bearer'); // the library normalises the case
  assert.equal(tokens.scope, 'read profile');
  assert.equal(tokens.expires_in, 3600);
  assert.ok(tokens.refresh_token);

  // Refresh: a new pair; the library checks the answer's shape.
  const refreshed = await oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, insecure),
  );
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.ok(refreshed.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal(refreshed.expires_in, 3600);

  // Introspection of the refreshed token, then UserInfo: the subject is the user's id.
  const introspected = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, clientAuth, refreshed.access_token, insecure),
  );
  assert.equal(introspected.active, true);
  assert.equal(introspected.client_id, client.client_id);
  assert.equal(introspected.scope, 'read profile');
  assert.equal(introspected.token_type, 'Bearer');
  assert.equal(introspected.username, 'alice');
  assert.equal(typeof introspected.sub, 'string');
  assert.equal(typeof introspected.iat, 'number');
  assert.equal(typeof introspected.exp, 'number');
  const userinfo = await oauth.processUserInfoResponse(
    as,
    client,
    introspected.sub!,
    await oauth.userInfoRequest(as, client, refreshed.access_token, insecure),
  );
  assert.equal(userinfo.preferred_username, 'alice');

  // Revocation (RFC 7009), then introspection says inactive.
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, clientAuth, refreshed.access_token, insecure),
  );
  const afterRevoke = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, clientAuth, refreshed.access_token, insecure),
  );
  assert.equal(afterRevoke.active, false);

  // Revoking the refresh token ends the grant: the library sees invalid_grant on the next refresh.
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token!, {
      additionalParameters: { token_type_hint: 'refresh_token' },
      ...insecure,
    }),
  );
  await assert.rejects(
    oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token!, insecure),
    ),
    (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant' && err.status === 400,
  );
});

test('a strict client sees an error redirect with iss and its state (access denied)', async () => {
  const { app: registered } = await registerApplication(deps, {
    client_name: 'Denied client',
    redirect_uris: REDIRECT_URI,
    scopes: 'read',
  });
  await makeUser(deps, 'bob', 'another fine password');
  const client: oauth.Client = { client_id: registered.clientId };
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
  );
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    state,
  }).toString();

  const browser = new Browser();
  const signInPage = await browser.fetch('/auth/sign_in');
  const signedIn = await browser.postForm('/auth/sign_in', {
    ...formFields(await signInPage.text(), '/auth/sign_in'),
    username: 'bob',
    password: 'another fine password',
  });
  assert.equal(signedIn.status, 303);
  const consent = await browser.fetch(url);
  assert.equal(consent.status, 200);
  const denied = await browser.postForm('/oauth/authorize', {
    ...formFields(await consent.text(), '/oauth/authorize'),
    decision: 'deny',
  });
  assert.equal(denied.status, 302);
  const callback = new URL(denied.headers.get('location')!);
  assert.throws(
    () => oauth.validateAuthResponse(as, client, callback, state),
    (err: unknown) => err instanceof oauth.AuthorizationResponseError && err.error === 'access_denied',
  );

  // An error found before consent (unsupported response type) also carries iss.
  url.searchParams.set('response_type', 'token');
  const refused = await browser.fetch(url);
  assert.equal(refused.status, 302);
  assert.throws(
    () => oauth.validateAuthResponse(as, client, new URL(refused.headers.get('location')!), state),
    (err: unknown) => err instanceof oauth.AuthorizationResponseError && err.error === 'unsupported_response_type',
  );
});

test('a strict client gets an app token with client_credentials and client_secret_post', async () => {
  const { app: registered, clientSecret } = await registerApplication(deps, {
    client_name: 'Machine',
    redirect_uris: REDIRECT_URI,
    scopes: 'read',
  });
  const client: oauth.Client = { client_id: registered.clientId };
  const insecure = { [oauth.allowInsecureRequests]: true };
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  const auth = oauth.ClientSecretPost(clientSecret);
  const tokens = await oauth.processClientCredentialsResponse(
    as,
    client,
    await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'read' }, insecure),
  );
  assert.equal(tokens.scope, 'read');
  assert.equal(tokens.refresh_token, undefined);
  const seen = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
  );
  assert.equal(seen.active, true);
  assert.equal(seen.sub, undefined);
});
