import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { registerAppShape } from '../src/http/routes/apps.js';
import { tokenShape } from '../src/http/routes/token.js';
import { testApp, type TestContext } from './support/app.js';
import { LIMITED_ROUTES, servedRoutes } from './support/routes.js';

let ctx: TestContext;
let doc: {
  openapi: string;
  servers: { url: string }[];
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<string, unknown>;
        requestBody?: {
          content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }>;
        };
        security?: unknown[];
      }
    >
  >;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
};
before(async () => {
  ctx = await testApp({ ACCESS_TOKEN_TTL: '3600' });
  const res = await ctx.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  doc = res.json();
});
after(() => ctx.close());

test('the document is valid OpenAPI 3', async () => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as Parameters<Validator['validate']>[0]);
  assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, '3.0');
  assert.doesNotThrow(() => validator.resolveRefs(), 'every $ref resolves');
  assert.equal(doc.servers[0]!.url, 'http://doorman.test');
});

test('every route the app serves is in the document, and nothing else', () => {
  const served = servedRoutes(ctx.app);
  assert.ok(served.includes('POST /oauth/token') && served.includes('GET /oauth/authorize'), served.join(', '));
  const documented = Object.entries(doc.paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
  assert.deepEqual(documented, served);
});

test('request bodies come from the zod shapes the routes parse, in all three content types', () => {
  for (const [path, operations] of Object.entries(doc.paths)) {
    const post = operations.post;
    if (!post || path === '/oauth/userinfo') continue; // userinfo takes only the bearer header
    assert.ok(post.requestBody, `POST ${path} has a request body`);
    assert.deepEqual(
      Object.keys(post.requestBody.content).sort(),
      // RFC 7591 registration is JSON only
      path === '/oauth/register'
        ? ['application/json']
        : ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
      path,
    );
  }
  const token = doc.paths['/oauth/token']!.post!.requestBody!.content['application/x-www-form-urlencoded']!.schema;
  assert.deepEqual(Object.keys(token.properties).sort(), Object.keys(tokenShape).sort());
  assert.deepEqual(token.required, ['grant_type']);
  const apps = doc.paths['/api/v1/apps']!.post!.requestBody!.content['application/json']!.schema;
  assert.deepEqual(Object.keys(apps.properties).sort(), Object.keys(registerAppShape).sort());
  // redirect_uris: one string or a list, as the route accepts
  assert.equal((apps.properties.redirect_uris as { anyOf: unknown[] }).anyOf.length, 2);
});

test('security schemes: Basic for clients, bearer for tokens', () => {
  assert.deepEqual(doc.components.securitySchemes.clientBasic, {
    ...doc.components.securitySchemes.clientBasic,
    type: 'http',
    scheme: 'basic',
  });
  assert.deepEqual(doc.components.securitySchemes.bearerToken, {
    ...doc.components.securitySchemes.bearerToken,
    type: 'http',
    scheme: 'bearer',
  });
  for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
    assert.ok(JSON.stringify(doc.paths[path]!.post!.security).includes('clientBasic'), path);
  }
  assert.ok(JSON.stringify(doc.paths['/api/v1/accounts/verify_credentials']!.get!.security).includes('bearerToken'));
});

test('429 is documented on exactly the rate-limited routes', () => {
  const with429 = Object.entries(doc.paths)
    .flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, op]) => op.responses['429'])
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
  assert.deepEqual(with429, [...LIMITED_ROUTES].sort());
});
