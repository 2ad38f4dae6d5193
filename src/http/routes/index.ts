import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import type { RouteDeclaration } from '../route.js';
import { USERINFO, USERINFO_POST, VERIFY_CREDENTIALS, accountRoutes } from './accounts.js';
import { REGISTER_APP, VERIFY_APP, appsRoutes } from './apps.js';
import { AUTHORIZE, DECIDE, authorizeRoutes } from './authorize.js';
import {
  AUTHORIZED_APPLICATIONS,
  REVOKE_AUTHORIZATION,
  authorizedApplicationsRoutes,
} from './authorized-applications.js';
import { DEFAULT_AVATAR, DEFAULT_HEADER, defaultImageRoutes } from './default-images.js';
import { HEALTH, healthRoutes } from './health.js';
import { INSTANCE_V1, INSTANCE_V2, NODEINFO, NODEINFO_LINKS, instanceRoutes } from './instance.js';
import { METADATA, metadataRoutes } from './metadata.js';
import { OPENAPI } from './openapi.js';
import { REGISTER_CLIENT, registerRoutes } from './register.js';
import { SIGN_IN, SIGN_IN_FORM, SIGN_OUT, signInRoutes } from './sign-in.js';
import { COPY_SCRIPT, HOME, STYLESHEET } from './static.js';
import { INTROSPECT, REVOKE, TOKEN, tokenRoutes } from './token.js';

/**
 * Every route the app serves, declared once: the OpenAPI document, CORS, the rate limits and the
 * junk test read this list (test/routes.test.ts checks it against what the app serves).
 */
export const ROUTES: readonly RouteDeclaration[] = [
  REGISTER_APP,
  VERIFY_APP,
  REGISTER_CLIENT,
  AUTHORIZE,
  DECIDE,
  TOKEN,
  REVOKE,
  INTROSPECT,
  USERINFO,
  USERINFO_POST,
  VERIFY_CREDENTIALS,
  SIGN_IN_FORM,
  SIGN_IN,
  SIGN_OUT,
  AUTHORIZED_APPLICATIONS,
  REVOKE_AUTHORIZATION,
  METADATA,
  HEALTH,
  INSTANCE_V1,
  INSTANCE_V2,
  NODEINFO_LINKS,
  NODEINFO,
  OPENAPI,
  DEFAULT_AVATAR,
  DEFAULT_HEADER,
  STYLESHEET,
  COPY_SCRIPT,
  HOME,
];

type RoutePlugin = (app: FastifyInstance, options: { deps: Deps }) => Promise<void>;
/** The plugins whose routes answer programs (audience `api`) and people's browsers (`page`). */
export const API_PLUGINS: readonly RoutePlugin[] = [
  healthRoutes,
  metadataRoutes,
  appsRoutes,
  registerRoutes,
  tokenRoutes,
  accountRoutes,
  instanceRoutes,
  defaultImageRoutes,
];
export const PAGE_PLUGINS: readonly RoutePlugin[] = [signInRoutes, authorizeRoutes, authorizedApplicationsRoutes];
