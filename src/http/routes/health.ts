import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

export async function healthRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/health', async (_request, reply) => {
    try {
      await deps.db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', error: 'temporarily_unavailable', error_description: 'The database does not answer.' });
    }
  });
}
