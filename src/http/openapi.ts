import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Config } from '../config.js';
import { refreshTokensOn } from '../oauth/grants/index.js';
import type { ScopeCatalog } from '../oauth/scopes.js';
import {
  Account,
  Application,
  CredentialApplication,
  Empty,
  Health,
  Introspection,
  MastodonErrorBody,
  OAuthErrorBody,
  ServerMetadata,
  Token,
  TooManyRequestsBody,
  UserInfo,
} from './answers.js';
import { InstanceV1, InstanceV2, NodeInfo, NodeInfoLinks } from './instance-answers.js';
import type { Answer, RouteDeclaration } from './route.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

type JsonSchema = Record<string, unknown>;

const toJsonSchema = (type: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(type, { target: 'openapi-3.0', io }) as JsonSchema;

/** Answers shown once under components.schemas and referred to by name wherever a route gives them. */
const NAMED = {
  OAuthError: OAuthErrorBody,
  MastodonError: MastodonErrorBody,
  Application,
  CredentialApplication,
  Token,
  Introspection,
  Account,
  UserInfo,
  ServerMetadata,
  Health,
  InstanceV1,
  InstanceV2,
  NodeInfoLinks,
  NodeInfo,
  Empty,
};
const NAMES = new Map<z.ZodType, string>(Object.entries(NAMED).map(([name, type]) => [type, name]));

const schemaOf = (type: z.ZodType): JsonSchema => {
  const name = NAMES.get(type);
  return name ? { $ref: `#/components/schemas/${name}` } : toJsonSchema(type, 'output');
};

const TEXT = { schema: { type: 'string' } };
const headersOf = (names: readonly string[] | undefined) =>
  names?.length ? { headers: Object.fromEntries(names.map((name) => [name, TEXT])) } : {};

/** One declared answer as an OpenAPI response. */
function response(answer: Answer) {
  const { description } = answer;
  if ('json' in answer)
    return {
      description,
      content: { 'application/json': { schema: schemaOf(answer.json) } },
      ...headersOf(answer.headers),
    };
  if ('html' in answer) return { description, content: { 'text/html': TEXT }, ...headersOf(answer.headers) };
  if ('redirect' in answer) return { description, ...headersOf(['Location']) };
  const binary = !answer.file.startsWith('text/');
  return {
    description,
    content: { [answer.file]: { schema: binary ? { type: 'string', format: 'binary' } : { type: 'string' } } },
  };
}

/** A route's parameters as one schema: the zod shape it parses them with, the descriptions attached to it. */
function parametersSchema(route: RouteDeclaration): JsonSchema & { properties: Record<string, JsonSchema> } {
  const schema = toJsonSchema(z.object(route.params ?? {}), 'input') as JsonSchema & {
    properties: Record<string, JsonSchema>;
  };
  return { ...schema, ...(route.required?.length ? { required: [...route.required] } : {}) };
}

/** GET routes take their parameters in the query; the others in a body, where forms, multipart and JSON carry the same (SPEC §3). */
function parameters(route: RouteDeclaration) {
  if (!route.params) return {};
  const schema = parametersSchema(route);
  if (route.method === 'GET') {
    const list = Object.entries(schema.properties).map(([name, property]) => {
      const { description, ...type } = property;
      return { name, in: 'query', required: route.required?.includes(name) ?? false, description, schema: type };
    });
    return { parameters: list };
  }
  const types = route.bodyTypes ?? ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'];
  const content = Object.fromEntries(types.map((type) => [type, { schema }]));
  return { requestBody: { required: true, content } };
}

// Client authentication: HTTP Basic, or client_id + client_secret in the body (no scheme).
const SECURITY = { client: [{ clientBasic: [] }, {}], bearer: [{ bearerToken: [] }, { oauth2: [] }] };

/** One declared route as an OpenAPI operation; a rate-limited one answers 429 past its limit (JSON, or the 429 page on pages). */
function operation(route: RouteDeclaration) {
  const responses: Record<string, unknown> = Object.fromEntries(
    Object.entries(route.responses).map(([status, answer]) => [status, response(answer)]),
  );
  if (route.rateLimit)
    responses['429'] = {
      $ref: `#/components/responses/${route.audience === 'page' ? 'TooManyRequestsPage' : 'TooManyRequests'}`,
    };
  return {
    tags: [route.tag],
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.security ? { security: SECURITY[route.security] } : {}),
    ...parameters(route),
    responses,
  };
}

/** The OpenAPI 3.0 document of the declared routes. */
export function openApiDocument(
  config: Pick<Config, 'issuer' | 'accessTokenTtl'>,
  scopes: Pick<ScopeCatalog, 'known' | 'describe'>,
  routes: readonly RouteDeclaration[],
) {
  const scopeWords = Object.fromEntries(scopes.known.map((s) => [s, scopes.describe(s)]));
  const refreshOn = refreshTokensOn(config);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes)
    paths[route.url] = { ...paths[route.url], [route.method.toLowerCase()]: operation(route) };

  const retryAfter = { 'Retry-After': { description: 'Seconds until the limit resets.', schema: { type: 'integer' } } };
  return {
    openapi: '3.0.3',
    info: {
      title: 'Doorman',
      version: VERSION,
      description:
        'A standalone OAuth 2.0 authorization server that speaks Mastodon’s OAuth API. API routes answer JSON; ' +
        'page routes (tag Pages, and /oauth/authorize) answer HTML for a browser.',
    },
    servers: [{ url: config.issuer }],
    tags: [
      { name: 'Apps', description: 'Client registration (Mastodon).' },
      { name: 'OAuth', description: 'Authorization, tokens, revocation, introspection.' },
      { name: 'Accounts', description: 'The user behind a bearer token.' },
      { name: 'Pages', description: 'HTML pages for people (sign-in, consent, authorized apps).' },
      { name: 'Server', description: 'Discovery and health.' },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(NAMED).map(([name, type]) => [name, toJsonSchema(type, 'output')])),
      responses: {
        TooManyRequests: {
          ...response({ description: 'Past a rate limit.', json: TooManyRequestsBody }),
          headers: retryAfter,
        },
        TooManyRequestsPage: {
          ...response({ description: 'Past a rate limit: the 429 page.', html: true }),
          headers: retryAfter,
        },
      },
      securitySchemes: {
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_id:client_secret (client_secret_basic); or both in the body (client_secret_post).',
        },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An access token.' },
        oauth2: {
          type: 'oauth2',
          description: 'The flows this server offers, for tools that fetch a token themselves.',
          flows: {
            authorizationCode: {
              authorizationUrl: `${config.issuer}/oauth/authorize`,
              tokenUrl: `${config.issuer}/oauth/token`,
              ...(refreshOn ? { refreshUrl: `${config.issuer}/oauth/token` } : {}),
              scopes: scopeWords,
            },
            clientCredentials: { tokenUrl: `${config.issuer}/oauth/token`, scopes: scopeWords },
          },
        },
      },
    },
  };
}
