import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { openApiDocument } from '../openapi.js';

/** The OpenAPI 3 document (import it into Postman or any OpenAPI tool); built once at start. */
export async function openApiRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const document = JSON.stringify(openApiDocument(deps.config, deps.scopes));
  app.get('/openapi.json', async (_request, reply) => {
    reply.header('Cache-Control', 'public, max-age=900').type('application/json; charset=utf-8');
    return document;
  });
}
