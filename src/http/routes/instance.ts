import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { instanceV1, instanceV2 } from '../../instance/instance.js';
import { NODEINFO_PATH, nodeinfo, nodeinfoLinks } from '../../instance/nodeinfo.js';

/** What Mastodon clients and crawlers look up about the server, before and around sign-in; no token. */
export async function instanceRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/api/v1/instance', async () => instanceV1(deps));
  app.get('/api/v2/instance', async () => instanceV2(deps));
  app.get('/.well-known/nodeinfo', async () => nodeinfoLinks(deps));
  app.get(NODEINFO_PATH, async (_request, reply) =>
    reply.type('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"').send(await nodeinfo(deps)),
  );
}
