import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Deps } from '../../deps.js';
import { instanceV1, instanceV2 } from '../../instance/instance.js';
import { NODEINFO_PATH, nodeinfo, nodeinfoLinks } from '../../instance/nodeinfo.js';
import { json } from '../answers.js';
import { InstanceV1, InstanceV2, NodeInfo, NodeInfoLinks } from '../instance-answers.js';
import { declareRoute, route } from '../route.js';

const about = <S extends z.ZodType>(
  url: string,
  operationId: string,
  summary: string,
  answer: S,
  description: string,
) =>
  route({
    method: 'GET',
    url,
    audience: 'api',
    tag: 'Server',
    operationId,
    summary,
    responses: { 200: json(answer, description) },
  });

export const INSTANCE_V1 = about(
  '/api/v1/instance',
  'instanceV1',
  'The server, as Mastodon’s V1 Instance',
  InstanceV1,
  'Title, version, user count, Mastodon’s default limits.',
);
export const INSTANCE_V2 = about(
  '/api/v2/instance',
  'instanceV2',
  'The server, as Mastodon’s Instance',
  InstanceV2,
  'Title, version, api_versions, user count, Mastodon’s default configuration.',
);
export const NODEINFO_LINKS = about(
  '/.well-known/nodeinfo',
  'nodeinfoLinks',
  'Where the NodeInfo document is',
  NodeInfoLinks,
  'A link to /nodeinfo/2.0.',
);
export const NODEINFO = about(
  NODEINFO_PATH,
  'nodeinfo',
  'NodeInfo 2.0',
  NodeInfo,
  'Software doorman, its version and the user count.',
);

/** What Mastodon clients and crawlers look up about the server, before and around sign-in; no token. */
export async function instanceRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  declareRoute(app, INSTANCE_V1, async () => instanceV1(deps));
  declareRoute(app, INSTANCE_V2, async () => instanceV2(deps));
  declareRoute(app, NODEINFO_LINKS, async () => nodeinfoLinks(deps));
  declareRoute(app, NODEINFO, async (_request, reply) =>
    reply
      .type('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"')
      .send(await nodeinfo(deps)),
  );
}
