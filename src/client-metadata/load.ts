/**
 * The one call the OAuth endpoints need: the client a metadata-document client id stands for.
 *
 *   loadClientMetadata(clientId: string, options?: FetchOptions): Promise<LoadedClient>
 *     fetches (fetch-document.ts) and validates (document.ts) the document; throws
 *     ClientMetadataError with the reason when the id is not a document URL or either step refuses.
 *
 * `lifetimeSeconds` says how long the result may be reused before fetching again.
 */
import { type ClientMetadata, isMetadataDocumentClientId, readMetadataDocument } from './document.js';
import { ClientMetadataError } from './error.js';
import { type FetchOptions, fetchMetadataDocument } from './fetch-document.js';

export interface LoadedClient {
  metadata: ClientMetadata;
  lifetimeSeconds: number;
}

export async function loadClientMetadata(clientId: string, options?: FetchOptions): Promise<LoadedClient> {
  if (!isMetadataDocumentClientId(clientId))
    throw new ClientMetadataError('the client_id is not an https URL with a path that a metadata document may use');
  const { document, lifetimeSeconds } = await fetchMetadataDocument(clientId, options);
  return { metadata: readMetadataDocument(clientId, document), lifetimeSeconds };
}
