import { recordEvent } from '../audit/trail.js';
import type { Deps } from '../deps.js';
import { validationFailed } from '../errors.js';
import { hashSecret, randomToken } from '../secrets.js';
import {
  findApplicationByClientId,
  deleteApplication as deleteApplicationRow,
  insertApplication,
  listApplications as listApplicationRows,
  type ApplicationRow,
  type RegisteredBy,
} from '../store/applications.js';
import { insertResources, resourcesByApplication as resourceRows } from '../store/resources.js';
import { redirectUriProblem } from './redirect-uris.js';
import { resourceUriProblem } from './resources.js';
import { DEFAULT_SCOPE, parseScopes } from './scopes.js';

export const NAME_LIMIT = 60; // Mastodon's APP_NAME_LIMIT
const WEBSITE_LIMIT = 2000;

/** Registration input as sent to Mastodon's endpoint or the CLI; each field is checked here and named as sent when it is wrong. */
export interface NewApplication {
  client_name?: string | undefined;
  redirect_uris?: string | string[] | undefined;
  scopes?: string | string[] | undefined;
  website?: string | undefined;
  resourceServer?: boolean;
  /** The resource URIs (RFC 8707) a resource server answers for. */
  resources?: readonly string[];
  registeredBy?: RegisteredBy;
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

/** Mastodon's registration (and the CLI's): checked as Mastodon checks it, answered 422 when wrong. */
export async function registerApplication(
  deps: Pick<Deps, 'db' | 'clock' | 'scopes' | 'log'>,
  input: NewApplication,
  address: string | null = null,
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
  if (website !== null && !isWebUrl(website)) throw validationFailed('website is not a valid http(s) URL');
  const resources = [...new Set(input.resources ?? [])];
  if (resources.length > 0 && !input.resourceServer) throw validationFailed('resources need a resource server');
  for (const uri of resources) {
    const problem = resourceUriProblem(uri);
    if (problem) throw validationFailed(`resource ${problem}: ${uri}`);
  }

  const { app, clientSecret } = await storeApplication(
    deps,
    {
      name,
      website,
      logoUri: null,
      redirectUris,
      scopes,
      grantTypes: null,
      tokenEndpointAuthMethod: null,
      registeredBy: input.registeredBy ?? 'mastodon_api',
      resourceServer: input.resourceServer ?? false,
    },
    { resources, address },
  );
  return { app, clientSecret: clientSecret! };
}

type Registration = Omit<ApplicationRow, 'id' | 'clientId' | 'clientSecretHash' | 'createdAt'>;

/**
 * Stores a checked registration with a fresh client id and, unless the client is public
 * (`token_endpoint_auth_method: none`), a fresh secret: returned here, only its hash kept. The audit
 * row and the resource URIs are written in the same transaction.
 */
export async function storeApplication(
  deps: Pick<Deps, 'db' | 'clock' | 'log'>,
  registration: Registration,
  { resources = [], address = null }: { resources?: readonly string[]; address?: string | null } = {},
): Promise<{ app: ApplicationRow; clientSecret: string | undefined }> {
  const clientSecret = registration.tokenEndpointAuthMethod === 'none' ? undefined : randomToken();
  return deps.db.transaction(async (tx) => {
    const app = await insertApplication(tx, {
      ...registration,
      clientId: newClientId(),
      clientSecretHash: clientSecret === undefined ? null : hashSecret(clientSecret),
      createdAt: deps.clock(),
    });
    if (!(await insertResources(tx, app.id, resources)))
      throw validationFailed('resource is already registered to another resource server');
    await recordEvent(deps, tx, {
      event: 'app.registered',
      clientId: app.clientId,
      address,
      detail: { name: app.name, registered_by: app.registeredBy },
    });
    return { app, clientSecret };
  });
}

/** An absolute http(s) URL with a host, of a sane length. */
export function isWebUrl(value: string): boolean {
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

/** Each resource server's resource URIs, by app id. */
export function resourcesByApplication(deps: Pick<Deps, 'db'>): Promise<Map<number, string[]>> {
  return resourceRows(deps.db);
}

/** Deleting an app deletes its codes and tokens with it. */
export function deleteApplication(deps: Pick<Deps, 'db'>, clientId: string): Promise<boolean> {
  return deleteApplicationRow(deps.db, clientId);
}

/** The name an app registered with, for a page that says which app is asking; undefined for an unknown client. */
export async function applicationName(deps: Pick<Deps, 'db'>, clientId: string): Promise<string | undefined> {
  return (await findApplicationByClientId(deps.db, clientId))?.name;
}
