import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser } from '../../accounts/sessions.js';
import type { UserRow } from '../../accounts/users.js';
import type { Deps } from '../../deps.js';
import { descriptions, OAuthError } from '../../errors.js';
import {
  approve,
  authorizationResponseUrl,
  checkAuthorizeRequest,
  deny,
  hasRememberedConsent,
  type AuthorizeRequest,
  type RedirectableError,
} from '../../oauth/authorization.js';
import { html, PAGE_ERRORS, redirect } from '../answers.js';
import { pageMessage, renderPage, sessionId } from '../pages.js';
import { shapeOf } from '../parameters.js';
import { booleanParam, oauthParams, one, rawParams } from '../params.js';
import { declareRoute, route } from '../route.js';

const AUTHORIZE_PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'force_login',
  'prompt',
  'lang',
] as const;
export const authorizeShape = shapeOf(...AUTHORIZE_PARAMETERS);
export const decisionShape = shapeOf(...AUTHORIZE_PARAMETERS, 'decision', '_csrf');

export const AUTHORIZE = route({
  method: 'GET',
  url: '/oauth/authorize',
  audience: 'page',
  tag: 'OAuth',
  operationId: 'authorize',
  summary: 'Show the consent page (a browser page)',
  description:
    'Unknown client or redirect URI: an error page. Other bad parameters: a redirect to the client with `error`, `state` and `iss`. ' +
    'Not signed in: a redirect to the sign-in page. Remembered consent: a redirect with a code at once.',
  params: authorizeShape,
  required: ['response_type', 'client_id', 'redirect_uri'],
  responses: {
    200: html('The consent page, with Authorize and Deny.'),
    302: redirect('To the client (`code` or `error`, `state`, `iss`) or to the sign-in page.'),
    400: html('Unknown client or redirect URI, or a client metadata document that cannot be used.'),
  },
  rateLimit: 'documents',
});

export const DECIDE = route({
  method: 'POST',
  url: '/oauth/authorize',
  audience: 'page',
  tag: 'OAuth',
  operationId: 'decide',
  summary: 'The user’s answer on the consent page',
  params: decisionShape,
  required: ['client_id', 'redirect_uri', 'response_type', 'decision', '_csrf'],
  responses: {
    200: html('Out-of-band clients: the code in the element with id `authorization_code`.'),
    302: redirect('To the client with `code` (or `error=access_denied`), `state` and `iss`.'),
    ...PAGE_ERRORS,
  },
});

export async function authorizeRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  // the consent page's form and its answers may send the browser on to the client
  const config = { redirectsToClients: true };

  declareRoute(
    app,
    AUTHORIZE,
    async (request, reply) => {
      let params;
      try {
        params = oauthParams(request, authorizeShape);
      } catch (err) {
        return refuseMalformed(request, reply, err);
      }
      const check = await checkAuthorizeRequest(deps, params);
      if (!check.ok) return redirectWithError(reply, check.redirect);

      const forceLogin = booleanParam(params.force_login);
      const user = forceLogin ? undefined : await signedInUser(request);
      if (!user) {
        // A forced sign-in leaves the current session alone: this is a link anyone can send, and Lax
        // cookies ride along, so it must not sign anyone out. The new sign-in ends the old session.
        // Come back here afterwards, without force_login (or it would ask for a sign-in again) but
        // still asking for consent: a forced sign-in never ends in a remembered answer
        const back = new URLSearchParams(
          Object.entries(params).filter(([k, v]) => k !== 'force_login' && v !== undefined) as [string, string][],
        );
        if (forceLogin) back.set('prompt', 'consent');
        return reply.redirect(`/auth/sign_in?return_to=${encodeURIComponent(`/oauth/authorize?${back}`)}`, 302);
      }
      const askAgain = params.prompt?.split(' ').includes('consent');
      if (!askAgain && (await hasRememberedConsent(deps, user, check.request)))
        return answerWithCode(request, reply, user, check.request);
      return renderPage(reply, 'consent', {
        title: `Authorize ${check.request.app.name}`,
        user,
        app: check.request.app,
        resource: check.request.resource,
        selfRegistered: check.request.app.registeredBy === 'dynamic_registration',
        scopes: check.request.scopes.map((s) => ({ name: s, words: deps.scopes.describe(s) })),
        hidden: Object.entries(params).filter(
          ([k, v]) => k !== 'force_login' && k !== 'prompt' && k !== 'lang' && v !== undefined,
        ),
        returnTo: request.url,
      });
    },
    { config },
  );

  declareRoute(
    app,
    DECIDE,
    async (request, reply) => {
      const params = oauthParams(request, decisionShape);
      const user = await signedInUser(request);
      if (!user)
        throw new OAuthError(
          'access_denied',
          'You are not signed in any more. Go back to the application and start again.',
          403,
        );
      const check = await checkAuthorizeRequest(deps, params);
      if (!check.ok) return redirectWithError(reply, check.redirect);
      if (params.decision === 'authorize') return answerWithCode(request, reply, user, check.request);
      await deny(deps, user, check.request, request.ip);
      const denied = new OAuthError('access_denied', descriptions.access_denied);
      const url = errorUrl({ redirectUri: check.request.redirectUri, state: check.request.state, error: denied });
      if (url) return reply.redirect(url, 302);
      reply.code(400);
      return renderPage(reply, 'error', {
        title: 'Access denied',
        message: `You did not allow ${check.request.app.name} to use your account.`,
        status: 400,
      });
    },
    { config, preHandler: app.csrfProtection },
  );

  async function signedInUser(request: FastifyRequest): Promise<UserRow | undefined> {
    const id = sessionId(request);
    return id ? currentUser(deps, id) : undefined;
  }

  async function answerWithCode(
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRow,
    authorize: AuthorizeRequest,
  ) {
    const code = await approve(deps, user, authorize, request.ip);
    reply.header('Cache-Control', 'no-store');
    const url = authorizationResponseUrl(deps.config.issuer, authorize.redirectUri, authorize.state, { code });
    if (url) return reply.redirect(url, 302);
    return renderPage(reply, 'code', { title: 'Authorization code', code, app: authorize.app });
  }

  function errorUrl(problem: RedirectableError): string | undefined {
    const answer: Record<string, string> = { error: problem.error.code };
    if (problem.error.description) answer.error_description = problem.error.description;
    return authorizationResponseUrl(deps.config.issuer, problem.redirectUri, problem.state, answer);
  }

  /**
   * A repeated or oversized parameter is reported to the client like any other bad parameter once
   * its client id and redirect URI check out (RFC 6749 §4.1.2.1); if they do not, the page it is.
   */
  async function refuseMalformed(request: FastifyRequest, reply: FastifyReply, err: unknown) {
    if (!(err instanceof OAuthError)) throw err;
    const raw = rawParams(request);
    const single = (v: unknown) => one.safeParse(v).data;
    const check = await checkAuthorizeRequest(deps, {
      client_id: single(raw.client_id),
      redirect_uri: single(raw.redirect_uri),
    });
    const redirectUri = check.ok ? check.request.redirectUri : check.redirect.redirectUri;
    return redirectWithError(reply, { redirectUri, state: single(raw.state), error: err });
  }

  async function redirectWithError(reply: FastifyReply, problem: RedirectableError) {
    const url = errorUrl(problem);
    if (url) return reply.redirect(url, 302);
    // out-of-band clients have nowhere to be sent: show the problem instead
    reply.code(400);
    return renderPage(reply, 'error', {
      title: 'Something went wrong',
      message: pageMessage(problem.error),
      status: 400,
    });
  }
}
