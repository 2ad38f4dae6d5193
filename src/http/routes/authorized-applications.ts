import type { FastifyInstance } from 'fastify';
import { currentUser } from '../../accounts/sessions.js';
import type { Deps } from '../../deps.js';
import { listGrants, revokeGrant } from '../../oauth/authorized-applications.js';
import { html, PAGE_ERRORS, redirect } from '../answers.js';
import { renderPage, sessionId } from '../pages.js';
import { shapeOf } from '../parameters.js';
import { oauthParams } from '../params.js';
import { declareRoute, route } from '../route.js';

const PATH = '/oauth/authorized_applications';

/** The Revoke button's form. */
export const revokeGrantShape = shapeOf('client_id', '_csrf');

export const AUTHORIZED_APPLICATIONS = route({
  method: 'GET',
  url: PATH,
  audience: 'page',
  tag: 'Pages',
  operationId: 'authorizedApplications',
  summary: 'The signed-in user’s authorized applications',
  responses: {
    200: html('Each app with its scopes and a Revoke button.'),
    302: redirect('Not signed in: to the sign-in form.'),
  },
});

export const REVOKE_AUTHORIZATION = route({
  method: 'POST',
  url: PATH,
  audience: 'page',
  tag: 'Pages',
  operationId: 'revokeAuthorization',
  summary: 'Revoke every token the signed-in user holds for one app',
  params: revokeGrantShape,
  required: ['client_id', '_csrf'],
  responses: { 303: redirect('Back to the list.'), ...PAGE_ERRORS },
});

/** The signed-in user's apps, each with a Revoke button. */
export async function authorizedApplicationsRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  declareRoute(app, AUTHORIZED_APPLICATIONS, async (request, reply) => {
    const id = sessionId(request);
    const user = id ? await currentUser(deps, id) : undefined;
    if (!user) return reply.redirect(`/auth/sign_in?return_to=${encodeURIComponent(PATH)}`, 302);
    const grants = await listGrants(deps, user);
    return renderPage(reply, 'authorized-applications', { title: 'Authorized applications', user, grants });
  });

  declareRoute(
    app,
    REVOKE_AUTHORIZATION,
    async (request, reply) => {
      const params = oauthParams(request, revokeGrantShape);
      const id = sessionId(request);
      const user = id ? await currentUser(deps, id) : undefined;
      if (!user) return reply.redirect(`/auth/sign_in?return_to=${encodeURIComponent(PATH)}`, 303);
      if (params.client_id) await revokeGrant(deps, user, params.client_id, request.ip);
      return reply.redirect(PATH, 303);
    },
    { preHandler: app.csrfProtection },
  );
}
