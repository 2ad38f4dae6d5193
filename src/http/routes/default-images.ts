import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_AVATAR_PATH, DEFAULT_HEADER_PATH } from '../../instance/default-images.js';
import { declareRoute, route } from '../route.js';

const IMAGES = fileURLToPath(new URL('../../../views/images/', import.meta.url));

const image = (url: string, operationId: string, summary: string) =>
  route({
    method: 'GET',
    url,
    audience: 'api',
    tag: 'Server',
    operationId,
    summary,
    responses: { 200: { description: 'PNG.', file: 'image/png' } },
  });
export const DEFAULT_AVATAR = image(DEFAULT_AVATAR_PATH, 'defaultAvatar', 'The avatar of every account');
export const DEFAULT_HEADER = image(DEFAULT_HEADER_PATH, 'defaultHeader', 'The header image of every account');

/** The avatar and header every account shows, since Doorman keeps no pictures. */
export async function defaultImageRoutes(app: FastifyInstance): Promise<void> {
  for (const [declaration, file] of [
    [DEFAULT_AVATAR, 'avatar.png'],
    [DEFAULT_HEADER, 'header.png'],
  ] as const) {
    const image = readFileSync(`${IMAGES}${file}`);
    declareRoute(app, declaration, async (_request, reply) =>
      reply.type('image/png').header('Cache-Control', 'public, max-age=86400').send(image),
    );
  }
}
