/**
 * Why a client metadata document could not be used: fetched, or trusted once fetched.
 *
 *   class ClientMetadataError extends Error   // `message` is the reason, in plain English
 *
 * The reason is written for the person at the consent page and the developer reading a token
 * error: it names what is wrong ("the document's client_id differs from its URL") without echoing
 * what Doorman learned about the network (no resolved addresses).
 */
export class ClientMetadataError extends Error {
  override readonly name = 'ClientMetadataError';

  constructor(readonly reason: string) {
    super(reason);
  }
}
