import type { FastifyInstance } from 'fastify';
import { currentUser } from '../../accounts/sessions.js';
import type { Deps } from '../../deps.js';
import { listGrants, revokeGrant } from '../../oauth/authorized-applications.js';
import { renderPage, sessionId } from '../pages.js';
import { oauthParams, one } from '../params.js';

/** The Revoke button's form. */
export const revokeGrantShape = { client_id: one.optional(), _csrf: one.optional() };

/** The signed-in user's apps, each with a Revoke button. */
export async function authorizedApplicationsRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const config = { page: true };
  const PATH = '/oauth/authorized_applications';

  app.get(PATH, { config }, async (request, reply) => {
    const id = sessionId(request);
    const user = id ? await currentUser(deps, id) : undefined;
    if (!user) return reply.redirect(`/auth/sign_in?return_to=${encodeURIComponent(PATH)}`, 302);
    const grants = await listGrants(deps, user);
    return renderPage(reply, 'authorized-applications', { title: 'Authorized applications', user, grants });
  });

  app.post(PATH, { config, preHandler: app.csrfProtection }, async (request, reply) => {
    const params = oauthParams(request, revokeGrantShape);
    const id = sessionId(request);
    const user = id ? await currentUser(deps, id) : undefined;
    if (!user) return reply.redirect(`/auth/sign_in?return_to=${encodeURIComponent(PATH)}`, 303);
    if (params.client_id) await revokeGrant(deps, user, params.client_id, request.ip);
    return reply.redirect(PATH, 303);
  });
}
