import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_AVATAR_PATH, DEFAULT_HEADER_PATH } from '../../instance/default-images.js';

const IMAGES = fileURLToPath(new URL('../../../views/images/', import.meta.url));

/** The avatar and header every account shows, since Doorman keeps no pictures. */
export async function defaultImageRoutes(app: FastifyInstance): Promise<void> {
  for (const [path, file] of [[DEFAULT_AVATAR_PATH, 'avatar.png'], [DEFAULT_HEADER_PATH, 'header.png']] as const) {
    const image = readFileSync(`${IMAGES}${file}`);
    app.get(path, async (_request, reply) => reply.type('image/png').header('Cache-Control', 'public, max-age=86400').send(image));
  }
}
