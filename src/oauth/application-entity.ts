/** Mastodon's Application entity: what POST /api/v1/apps, verify_credentials and the CLI print. */
export function applicationEntity(app: {
  id: number;
  name: string;
  website: string | null;
  scopes: string[];
  redirectUris: string[];
}) {
  return {
    id: String(app.id),
    name: app.name,
    website: app.website,
    scopes: app.scopes,
    redirect_uri: app.redirectUris.join('\n'),
    redirect_uris: app.redirectUris,
  };
}

/** The entity as registration answers it: the only time the client secret is ever shown. */
export function registeredApplicationEntity(
  app: { id: number; clientId: string; name: string; website: string | null; scopes: string[]; redirectUris: string[] },
  clientSecret: string,
) {
  return {
    ...applicationEntity(app),
    client_id: app.clientId,
    client_secret: clientSecret,
    client_secret_expires_at: 0 as const,
  };
}
