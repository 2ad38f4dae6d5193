// Doorman in front of an MCP server, judged by the MCP TypeScript SDK itself, unpatched: the example
// server (examples/mcp-server) checks tokens by introspection; the SDK's client discovers Doorman
// through the server's RFC 9728 metadata, registers (RFC 7591, public and confidential) or brings a
// metadata document, sends the person through sign-in and Authorize in Chromium, exchanges the code,
// calls the tool as that person, refreshes, and is refused once its grant is revoked.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { auth, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { type RunningMcpExample, startMcpExample } from '../examples/mcp-server/server.js';
import type { Deps } from '../src/deps.js';
import { registerApplication } from '../src/oauth/applications.js';
import { listeningApp, makeUser } from './support/app.js';
import type { TestDatabase } from './support/database.js';
import { freePort } from './support/process.js';
import { testCertificates } from './support/test-ca.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OTHER_API = 'https://other-api.example/mcp';

let browser: Browser;
let signedIn: BrowserContext;
let database: TestDatabase;
let deps: Deps;
let doorman: FastifyInstance;
let issuer: string;
let mcp: RunningMcpExample;
let callbackSite: http.Server;
let callback: string;
let documentSite: https.Server;
let documentUrl: string;

/** The SDK's client state, kept in memory: what a real client keeps in its settings. */
class MemoryProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  /** Where the SDK last wanted to send the person. */
  authorizationUrl: URL | undefined;

  constructor(
    readonly clientMetadata: OAuthClientMetadata,
    readonly clientMetadataUrl?: string,
  ) {}
  get redirectUrl() {
    return callback;
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  /** What the SDK drops when Doorman refuses them (a spent grant: the tokens; an unknown client: everything). */
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'client') this.information = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = '';
  }
}

const metadata = (method: string): OAuthClientMetadata => ({
  client_name: 'MCP test client',
  redirect_uris: [callback],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: method,
});

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No browser at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH. This test is not skipped.`,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  signedIn = await browser.newContext();
  // room for a busy machine: every wait, not only the two on the redirects, may take seconds
  signedIn.setDefaultTimeout(60_000);
  signedIn.setDefaultNavigationTimeout(60_000);

  // the client's loopback redirect target (a native MCP client listens like this)
  callbackSite = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>done</p>'),
  );
  await new Promise<void>((resolve) => callbackSite.listen(0, '127.0.0.1', resolve));
  callback = `http://127.0.0.1:${(callbackSite.address() as AddressInfo).port}/callback`;

  // a client's metadata document, served over https with a certificate from a throwaway authority
  const certificates = await testCertificates(['localhost'], ['127.0.0.1']);
  documentSite = https.createServer({ cert: certificates.cert, key: certificates.key }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
    res.end(
      JSON.stringify({
        client_id: documentUrl,
        client_name: 'Document Client',
        redirect_uris: [callback],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      }),
    );
  });
  await new Promise<void>((resolve) => documentSite.listen(0, '127.0.0.1', resolve));
  documentUrl = `https://127.0.0.1:${(documentSite.address() as AddressInfo).port}/oauth/client.json`;

  ({
    app: doorman,
    database,
    deps,
    issuer,
  } = await listeningApp(
    { ACCESS_TOKEN_TTL: '3600', CLIENT_METADATA_ALLOW_PRIVATE: 'true' },
    { clientMetadataCa: certificates.ca },
  ));
  await makeUser(deps, 'alice');

  const mcpPort = await freePort();
  const mcpUrl = new URL(`http://127.0.0.1:${mcpPort}/mcp`);
  // the operator's step: the MCP server as a resource server, its URL as its resource
  const { app, clientSecret } = await registerApplication(deps, {
    client_name: 'MCP example',
    redirect_uris: 'urn:ietf:wg:oauth:2.0:oob',
    resourceServer: true,
    resources: [mcpUrl.href],
    registeredBy: 'operator',
  });
  await registerApplication(deps, {
    client_name: 'Other API',
    redirect_uris: 'urn:ietf:wg:oauth:2.0:oob',
    resourceServer: true,
    resources: [OTHER_API],
  });
  mcp = await startMcpExample({ doorman: issuer, url: mcpUrl, clientId: app.clientId, clientSecret }, mcpPort);
});

after(async () => {
  await mcp?.close();
  await browser?.close();
  await doorman?.close();
  await database?.drop();
  callbackSite?.closeAllConnections();
  callbackSite?.close();
  documentSite?.closeAllConnections();
  documentSite?.close();
});

/** The person's part: sign in if asked, look at the consent page, press Authorize; the code the client gets. */
async function signInAndAuthorize(url: URL): Promise<{ code: string; consent: string }> {
  const page = await signedIn.newPage();
  try {
    await page.goto(url.href);
    if (new URL(page.url()).pathname === '/auth/sign_in') {
      await page.getByLabel('User name or e-mail').fill('alice');
      await page.getByLabel('Password').fill('correct horse battery staple');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/oauth/authorize', { timeout: 60_000 }),
        page.getByRole('button', { name: 'Log in' }).click(),
      ]);
    }
    const consent = await page.locator('main, body').first().innerText();
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(callback), { timeout: 60_000 }),
      page.getByRole('button', { name: 'Authorize' }).click(),
    ]);
    const answer = new URL(page.url());
    assert.equal(answer.searchParams.get('iss'), issuer);
    return { code: answer.searchParams.get('code')!, consent };
  } finally {
    await page.close();
  }
}

/** Connects the SDK's client; on its first 401 the person authorizes, then it connects again. */
async function connect(provider: MemoryProvider): Promise<{ client: Client; consent: string }> {
  const first = new StreamableHTTPClientTransport(mcp.url, { authProvider: provider });
  await assert.rejects(new Client({ name: 'doorman-test', version: '1.0.0' }).connect(first), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the SDK wants the person sent to Doorman');
  assert.equal(provider.authorizationUrl.origin, issuer);
  assert.equal(
    provider.authorizationUrl.searchParams.get('resource'),
    mcp.url.href,
    'the token is asked for this server',
  );
  assert.equal(provider.authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  const { code, consent } = await signInAndAuthorize(provider.authorizationUrl);
  await first.finishAuth(code);
  const client = new Client({ name: 'doorman-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcp.url, { authProvider: provider }));
  return { client, consent };
}

async function whoami(client: Client) {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  return result.structuredContent as { username: string | null; client_id: string; scopes: string[] };
}

/** A raw call to the MCP endpoint with a token: the status the server answers. */
async function rawCall(token: string): Promise<Response> {
  return fetch(mcp.url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
}

async function revoke(form: Record<string, string>, basic?: string) {
  const res = await fetch(`${issuer}/oauth/revoke`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: `Basic ${basic}` } : {}),
    },
    body: new URLSearchParams(form),
  });
  assert.equal(res.status, 200, await res.clone().text());
}

test('a public client: discovery, registration, sign-in, the tool as alice, a refresh, then revocation', async () => {
  const provider = new MemoryProvider(metadata('none'));
  const { client, consent } = await connect(provider);
  assert.ok(provider.information?.client_id, 'registered through RFC 7591');
  assert.equal((provider.information as { client_secret?: string }).client_secret, undefined, 'a public client');
  assert.match(consent, /registered itself/);
  assert.match(consent, new RegExp(`wants access to ${mcp.url.href.replace(/[.]/g, '\\.')}`));

  const me = await whoami(client);
  assert.equal(me.username, 'alice');
  assert.equal(me.client_id, provider.information?.client_id);

  const before = provider.saved!;
  assert.ok(before.refresh_token, 'refresh tokens while tokens expire');
  assert.equal(await auth(provider, { serverUrl: mcp.url }), 'AUTHORIZED');
  assert.notEqual(provider.saved!.access_token, before.access_token, 'the SDK refreshed');
  assert.equal((await whoami(client)).username, 'alice', 'the refreshed token works');

  // revoking the refresh token ends the whole grant: the SDK cannot refresh its way back in
  await revoke({ client_id: provider.information!.client_id, token: provider.saved!.refresh_token! });
  const refused = await rawCall(provider.saved!.access_token);
  assert.equal(refused.status, 401);
  assert.match(String(refused.headers.get('www-authenticate')), /resource_metadata=/);
  provider.authorizationUrl = undefined;
  await assert.rejects(whoami(client), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the SDK asks for the person again');
  await client.close();
});

test('a confidential client registered through RFC 7591 with client_secret_basic', async () => {
  const provider = new MemoryProvider(metadata('client_secret_basic'));
  const { client } = await connect(provider);
  const information = provider.information as { client_id: string; client_secret?: string };
  assert.ok(information.client_secret, 'a secret for a confidential client');
  assert.equal((await whoami(client)).username, 'alice');
  assert.equal(await auth(provider, { serverUrl: mcp.url }), 'AUTHORIZED');
  assert.equal((await whoami(client)).username, 'alice');
  const basic = Buffer.from(`${information.client_id}:${information.client_secret}`).toString('base64');
  await revoke({ token: provider.saved!.refresh_token! }, basic);
  assert.equal((await rawCall(provider.saved!.access_token)).status, 401);
  await client.close();
});

test('a client known by its metadata document (no registration)', async () => {
  const provider = new MemoryProvider(metadata('none'), documentUrl);
  const { client, consent } = await connect(provider);
  assert.equal(provider.information?.client_id, documentUrl, 'the document URL is the client id');
  assert.match(consent, /Document Client \(from 127\.0\.0\.1:\d+\)/);
  const me = await whoami(client);
  assert.deepEqual([me.username, me.client_id], ['alice', documentUrl]);
  await client.close();
});

test('a token for another resource, or for none the server was given, is refused by the MCP server', async () => {
  const res = await fetch(`${issuer}/api/v1/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Batch', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob' }),
  });
  const { client_id, client_secret } = (await res.json()) as { client_id: string; client_secret: string };
  const tokenFor = async (resource?: string) => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id, client_secret });
    if (resource) form.set('resource', resource);
    const answer = await fetch(`${issuer}/oauth/token`, { method: 'POST', body: form });
    assert.equal(answer.status, 200);
    return ((await answer.json()) as { access_token: string }).access_token;
  };
  assert.equal((await rawCall(await tokenFor(OTHER_API))).status, 401, 'bound to another API');
  assert.equal((await rawCall(await tokenFor())).status, 401, 'bound to none: not issued for this server');
  assert.equal((await rawCall(await tokenFor(mcp.url.href))).status, 200, 'bound to this server');
});

test('the example starts before Doorman answers, and serves its metadata meanwhile', async () => {
  // the README starts Doorman in the background and the example right after it
  const notYet = `http://127.0.0.1:${await freePort()}`;
  const port = await freePort();
  const early = await startMcpExample(
    { doorman: notYet, url: new URL(`http://127.0.0.1:${port}/mcp`), clientId: 'x', clientSecret: 'y' },
    port,
  );
  try {
    const res = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).authorization_servers, [notYet]);
  } finally {
    await early.close();
  }
});
