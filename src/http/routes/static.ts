import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { redirect } from '../answers.js';
import { declareRoute, route } from '../route.js';

const VIEWS = fileURLToPath(new URL('../../../views/', import.meta.url));

const file = (url: string, operationId: string, summary: string, type: string, description: string) =>
  route({
    method: 'GET',
    url,
    audience: 'static',
    tag: 'Pages',
    operationId,
    summary,
    responses: { 200: { description, file: type } },
  });
export const STYLESHEET = file('/style.css', 'stylesheet', 'The pages’ stylesheet', 'text/css', 'CSS.');
export const COPY_SCRIPT = file(
  '/copy.js',
  'copyScript',
  'The code page’s Copy button (the page works without it)',
  'text/javascript',
  'JavaScript.',
);
export const HOME = route({
  method: 'GET',
  url: '/',
  audience: 'static',
  tag: 'Pages',
  operationId: 'home',
  summary: 'Sends people to their authorized applications',
  responses: { 302: redirect('To /oauth/authorized_applications.') },
});

/** The pages' stylesheet and script, and the home page, which sends people on. */
export async function staticRoutes(app: FastifyInstance): Promise<void> {
  for (const [declaration, name, type] of [
    [STYLESHEET, 'style.css', 'text/css'],
    [COPY_SCRIPT, 'copy.js', 'text/javascript'],
  ] as const) {
    const content = readFileSync(`${VIEWS}${name}`);
    declareRoute(app, declaration, async (_request, reply) =>
      reply.type(`${type}; charset=utf-8`).header('Cache-Control', 'public, max-age=3600').send(content),
    );
  }
  declareRoute(app, HOME, async (_request, reply) => reply.redirect('/oauth/authorized_applications'));
}
