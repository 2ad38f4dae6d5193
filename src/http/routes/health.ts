import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { databaseAnswers } from '../../instance/health.js';
import { Health, json } from '../answers.js';
import { declareRoute, route } from '../route.js';

export const HEALTH = route({
  method: 'GET',
  url: '/health',
  audience: 'api',
  tag: 'Server',
  operationId: 'health',
  summary: 'Whether the server and its database answer',
  responses: { 200: json(Health, '`{"status": "ok"}`'), 503: json(Health, 'The database does not answer.') },
});

export async function healthRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  declareRoute(app, HEALTH, async (_request, reply) => {
    if (await databaseAnswers(deps)) return { status: 'ok' };
    return reply.code(503).send({
      status: 'unavailable',
      error: 'temporarily_unavailable',
      error_description: 'The database does not answer.',
    });
  });
}
