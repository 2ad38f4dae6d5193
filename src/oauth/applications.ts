import type { Deps } from '../deps.js';
import { validationFailed } from '../errors.js';
import { hashSecret, randomToken } from '../secrets.js';
import {
  findApplicationByClientId,
  deleteApplication as deleteApplicationRow,
  insertApplication,
  listApplications as listApplicationRows,
  type ApplicationRow,
} from '../store/applications.js';
import { redirectUriProblem } from './redirect-uris.js';
import { DEFAULT_SCOPE, parseScopes } from './scopes.js';

const NAME_LIMIT = 60; // Mastodon's APP_NAME_LIMIT
const WEBSITE_LIMIT = 2000;

/** Registration input as sent; each field is checked here and named as sent when it is wrong. */
export interface NewApplication {
  client_name?: string | undefined;
  redirect_uris?: string | string[] | undefined;
  scopes?: string | string[] | undefined;
  website?: string | undefined;
  resourceServer?: boolean;
}

/** Splits and checks redirect URIs: one string (split on whitespace) or a list. */
export function parseRedirectUris(input: string | string[] | undefined): string[] {
  const uris = [
    ...new Set((Array.isArray(input) ? input : [input ?? '']).flatMap((u) => u.split(/\s+/)).filter(Boolean)),
  ];
  if (uris.length === 0) throw validationFailed("redirect_uris can't be blank");
  if (uris.join('\n').length > 2000) throw validationFailed('redirect_uris is too long (maximum is 2000 characters)');
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw validationFailed(`redirect_uris ${problem}: ${uri}`);
  }
  return uris;
}

export async function registerApplication(
  deps: Pick<Deps, 'db' | 'clock' | 'scopes'>,
  input: NewApplication,
): Promise<{ app: ApplicationRow; clientSecret: string }> {
  const name = (input.client_name ?? '').trim();
  if (!name) throw validationFailed("client_name can't be blank");
  if (name.length > NAME_LIMIT) throw validationFailed(`client_name is too long (maximum is ${NAME_LIMIT} characters)`);
  const redirectUris = parseRedirectUris(input.redirect_uris);
  const scopes = input.scopes === undefined || input.scopes === '' ? [DEFAULT_SCOPE] : parseScopes(input.scopes);
  if (!scopes || scopes.length === 0 || !scopes.every((s) => deps.scopes.isKnown(s))) {
    throw validationFailed("scopes doesn't match those configured on the server");
  }
  const website = input.website?.trim() || null;
  if (website !== null && !isWebsite(website)) throw validationFailed('website is not a valid http(s) URL');

  const clientSecret = randomToken();
  const app = await insertApplication(deps.db, {
    clientId: newClientId(),
    clientSecretHash: hashSecret(clientSecret),
    name,
    website,
    redirectUris,
    scopes,
    resourceServer: input.resourceServer ?? false,
    createdAt: deps.clock(),
  });
  return { app, clientSecret };
}

function isWebsite(value: string): boolean {
  if (value.length > WEBSITE_LIMIT) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Client ids never begin with "-", so they are safe as command-line arguments. */
function newClientId(): string {
  for (;;) {
    const id = randomToken();
    if (!id.startsWith('-')) return id;
  }
}

export function listApplications(deps: Pick<Deps, 'db'>): Promise<ApplicationRow[]> {
  return listApplicationRows(deps.db);
}

/** Deleting an app deletes its codes and tokens with it. */
export function deleteApplication(deps: Pick<Deps, 'db'>, clientId: string): Promise<boolean> {
  return deleteApplicationRow(deps.db, clientId);
}

/** The name an app registered with, for a page that says which app is asking; undefined for an unknown client. */
export async function applicationName(deps: Pick<Deps, 'db'>, clientId: string): Promise<string | undefined> {
  return (await findApplicationByClientId(deps.db, clientId))?.name;
}
