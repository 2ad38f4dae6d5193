import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { json } from '../answers.js';
import { openApiDocument } from '../openapi.js';
import { declareRoute, route, type RouteDeclaration } from '../route.js';

export const OPENAPI = route({
  method: 'GET',
  url: '/openapi.json',
  audience: 'api',
  tag: 'Server',
  operationId: 'openapi',
  summary: 'This document',
  responses: { 200: json(z.looseObject({}), 'OpenAPI 3.0.') },
});

/** The OpenAPI 3 document of `routes` (import it into Postman or any OpenAPI tool); built once at start. */
export async function openApiRoutes(
  app: FastifyInstance,
  { deps, routes }: { deps: Deps; routes: readonly RouteDeclaration[] },
): Promise<void> {
  const document = JSON.stringify(openApiDocument(deps.config, deps.scopes, routes));
  declareRoute(app, OPENAPI, async (_request, reply) =>
    reply.header('Cache-Control', 'public, max-age=900').type('application/json; charset=utf-8').send(document),
  );
}
