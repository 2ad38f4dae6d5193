import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { signIn, SignInFailed, SignInThrottled, signOut, SESSION_LIFETIME_SECONDS } from '../../accounts/sessions.js';
import type { Deps } from '../../deps.js';
import { applicationName } from '../../oauth/applications.js';
import { localPath, renderPage, sessionCookieName, sessionCookieOptions, sessionId } from '../pages.js';
import { oauthParams, one } from '../params.js';

export const signInShape = { username: one.optional(), password: one.optional(), return_to: one.optional(), _csrf: one.optional() };
export const signInFormShape = { return_to: one.optional() };
export const signOutShape = { return_to: one.optional(), _csrf: one.optional() };

export async function signInRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const page = { page: true };

  const showForm = async (reply: FastifyReply, returnTo: string | undefined, extra: { error?: string; username?: string } = {}) =>
    renderPage(reply, 'sign-in', {
      title: 'Log in',
      returnTo: returnTo ?? '',
      username: extra.username ?? '',
      error: extra.error ?? '',
      appName: await appAsking(deps, returnTo),
    });

  app.get('/auth/sign_in', { config: page }, async (request, reply) => {
    const returnTo = localPath(oauthParams(request, signInFormShape).return_to);
    return showForm(reply, returnTo);
  });

  app.post('/auth/sign_in', { config: page, preHandler: app.csrfProtection }, async (request, reply) => {
    const params = oauthParams(request, signInShape);
    const returnTo = localPath(params.return_to);
    try {
      const { sessionId: id } = await signIn(deps, {
        login: (params.username ?? '').trim(),
        password: params.password ?? '',
        address: request.ip,
      });
      // A new id at every sign-in: a session id planted before sign-in is worth nothing after.
      const old = sessionId(request);
      if (old) await signOut(deps, old);
      reply.setCookie(sessionCookieName(request), id, { ...sessionCookieOptions(request), maxAge: SESSION_LIFETIME_SECONDS });
      return reply.redirect(returnTo ?? '/oauth/authorized_applications', 303);
    } catch (err) {
      if (err instanceof SignInFailed) {
        deps.metrics.signInFailures.inc({ reason: 'invalid' });
        reply.code(401);
        return showForm(reply, returnTo, { error: 'Invalid username or password.', username: params.username ?? '' });
      }
      if (err instanceof SignInThrottled) {
        deps.metrics.signInFailures.inc({ reason: 'throttled' });
        reply.code(429).header('Retry-After', String(err.retryAfterSeconds));
        return showForm(reply, returnTo, { error: 'Too many failed attempts. Wait a few minutes and try again.', username: params.username ?? '' });
      }
      throw err;
    }
  });

  app.post('/auth/sign_out', { config: page, preHandler: app.csrfProtection }, async (request, reply) => {
    const returnTo = localPath(oauthParams(request, signOutShape).return_to);
    await endSession(deps, request, reply);
    return reply.redirect(returnTo ? `/auth/sign_in?return_to=${encodeURIComponent(returnTo)}` : '/auth/sign_in', 303);
  });
}

/** The app on whose behalf the person signs in, when they come from /oauth/authorize: the page names it. */
async function appAsking(deps: Deps, returnTo: string | undefined): Promise<string> {
  if (!returnTo?.startsWith('/oauth/authorize?')) return '';
  const clientId = new URLSearchParams(returnTo.slice('/oauth/authorize?'.length)).get('client_id');
  return (clientId && clientId.length <= 200 && (await applicationName(deps, clientId))) || '';
}

/** Ends the current sign-in, if any, and clears its cookie. */
async function endSession(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const id = sessionId(request);
  if (id) await signOut(deps, id);
  reply.clearCookie(sessionCookieName(request), sessionCookieOptions(request));
}
