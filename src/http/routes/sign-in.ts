import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { signIn, SignInFailed, SignInThrottled, signOut, SESSION_LIFETIME_SECONDS } from '../../accounts/sessions.js';
import type { Deps } from '../../deps.js';
import { applicationName } from '../../oauth/applications.js';
import { html, PAGE_ERRORS, redirect } from '../answers.js';
import { localPath, renderPage, sessionCookieName, sessionCookieOptions, sessionId } from '../pages.js';
import { shapeOf } from '../parameters.js';
import { oauthParams } from '../params.js';
import { declareRoute, route } from '../route.js';

export const signInShape = shapeOf('username', 'password', 'return_to', '_csrf');
export const signInFormShape = shapeOf('return_to');
export const signOutShape = shapeOf('return_to', '_csrf');

export const SIGN_IN_FORM = route({
  method: 'GET',
  url: '/auth/sign_in',
  audience: 'page',
  tag: 'Pages',
  operationId: 'signInForm',
  summary: 'The sign-in form',
  params: signInFormShape,
  responses: { 200: html('The form: username (or e-mail), password, Log in.') },
});

export const SIGN_IN = route({
  method: 'POST',
  url: '/auth/sign_in',
  audience: 'page',
  tag: 'Pages',
  operationId: 'signIn',
  summary: 'Sign in',
  params: signInShape,
  required: ['username', 'password', '_csrf'],
  responses: {
    303: redirect('Signed in: back to return_to (a path on this server).'),
    401: html('The form again, with one generic message.'),
    ...PAGE_ERRORS,
  },
  rateLimit: 'signIn',
});

export const SIGN_OUT = route({
  method: 'POST',
  url: '/auth/sign_out',
  audience: 'page',
  tag: 'Pages',
  operationId: 'signOut',
  summary: 'Sign out',
  params: signOutShape,
  required: ['_csrf'],
  responses: { 303: redirect('To the sign-in form.'), ...PAGE_ERRORS },
});

export async function signInRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const showForm = async (
    reply: FastifyReply,
    returnTo: string | undefined,
    extra: { error?: string; username?: string } = {},
  ) =>
    renderPage(reply, 'sign-in', {
      title: 'Log in',
      returnTo: returnTo ?? '',
      username: extra.username ?? '',
      error: extra.error ?? '',
      appName: await appAsking(deps, returnTo),
    });

  declareRoute(app, SIGN_IN_FORM, async (request, reply) => {
    const returnTo = localPath(oauthParams(request, signInFormShape).return_to);
    return showForm(reply, returnTo);
  });

  declareRoute(
    app,
    SIGN_IN,
    async (request, reply) => {
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
        reply.setCookie(sessionCookieName(request), id, {
          ...sessionCookieOptions(request),
          maxAge: SESSION_LIFETIME_SECONDS,
        });
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
          return showForm(reply, returnTo, {
            error: 'Too many failed attempts. Wait a few minutes and try again.',
            username: params.username ?? '',
          });
        }
        throw err;
      }
    },
    { preHandler: app.csrfProtection },
  );

  declareRoute(
    app,
    SIGN_OUT,
    async (request, reply) => {
      const returnTo = localPath(oauthParams(request, signOutShape).return_to);
      await endSession(deps, request, reply);
      return reply.redirect(
        returnTo ? `/auth/sign_in?return_to=${encodeURIComponent(returnTo)}` : '/auth/sign_in',
        303,
      );
    },
    { preHandler: app.csrfProtection },
  );
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
