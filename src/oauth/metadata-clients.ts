// Clients whose client_id is the URL of their metadata document (draft-ietf-oauth-client-id-
// metadata-document; the MCP spec's preferred way). Nobody registers them: the document is fetched
// (client-metadata/ guards the fetch) and kept as the client's row, so that codes, tokens, consent,
// revocation, rate limits and the audit trail treat it as any other app.
import { ClientMetadataError } from '../client-metadata/error.js';
import { loadClientMetadata } from '../client-metadata/load.js';
import type { Deps } from '../deps.js';
import { findApplicationByClientId, upsertMetadataClient, type ApplicationRow } from '../store/applications.js';

export { isMetadataDocumentClientId } from '../client-metadata/document.js';

/** How long a copy may stand in for a document that cannot be fetched any more (the longest lifetime). */
const STALE_IF_ERROR_MS = 24 * 60 * 60 * 1000;

/**
 * The client a metadata document describes: the stored copy while it is fresh (every process on
 * the database shares it), else the document fetched again. A fetch that fails while the copy is
 * less than a day old keeps the copy: a client's site that is briefly down does not lock its users
 * out. Throws ClientMetadataError saying why the document cannot be used.
 */
export async function findMetadataClient(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'scopes' | 'log' | 'clientMetadataCa'>,
  clientId: string,
): Promise<ApplicationRow> {
  const copy = await findApplicationByClientId(deps.db, clientId);
  const now = deps.clock();
  const stored = copy?.registeredBy === 'metadata_document' ? copy : undefined;
  if (stored?.metadataFreshUntil && stored.metadataFreshUntil > now) return stored;
  let loaded;
  try {
    loaded = await loadClientMetadata(clientId, {
      allowPrivate: deps.config.clientMetadataAllowPrivate,
      ...(deps.clientMetadataCa ? { ca: deps.clientMetadataCa } : {}),
    });
  } catch (err) {
    if (!(err instanceof ClientMetadataError)) throw err;
    const age = stored?.metadataFetchedAt ? now.getTime() - stored.metadataFetchedAt.getTime() : Infinity;
    if (stored && age < STALE_IF_ERROR_MS) {
      deps.log.warn({ clientId, reason: err.reason }, 'client metadata document unavailable; using the stored copy');
      return stored;
    }
    throw err;
  }
  const { metadata, lifetimeSeconds } = loaded;
  return upsertMetadataClient(deps.db, {
    clientId,
    // the host beside the name the document claims, on every page that names the app
    name: metadata.clientName === metadata.host ? metadata.host : `${metadata.clientName} (from ${metadata.host})`,
    website: metadata.clientUri ?? null,
    logoUri: metadata.logoUri ?? null,
    redirectUris: metadata.redirectUris,
    // no registration limits them: any scope but the server administration ones, as the person consents
    scopes: deps.scopes.known.filter((s) => !s.startsWith('admin:')),
    fetchedAt: now,
    freshUntil: new Date(now.getTime() + lifetimeSeconds * 1000),
  });
}
