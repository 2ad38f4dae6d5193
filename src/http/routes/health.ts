import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { databaseAnswers } from '../../instance/health.js';

export async function healthRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/health', async (_request, reply) => {
    if (await databaseAnswers(deps)) return { status: 'ok' };
    return reply.code(503).send({ status: 'unavailable', error: 'temporarily_unavailable', error_description: 'The database does not answer.' });
  });
}
