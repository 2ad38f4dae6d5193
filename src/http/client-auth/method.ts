import type { FastifyRequest } from 'fastify';

/** The client fields of a request body, as the routes parse them. */
export interface ClientBody {
  client_id?: string | undefined;
  client_secret?: string | undefined;
}

/** What one method found in a request: the client id it claims and the secret it proves it with. */
export interface ClientAuthParts {
  clientId: string | undefined;
  clientSecret: string | undefined;
}

/** One way a client authenticates at the token, revocation and introspection endpoints. */
export interface ClientAuthMethod {
  /** Its name in RFC 8414 metadata (`token_endpoint_auth_methods_supported`). */
  name: string;
  /** What the request carries by this method; undefined when it does not use it; invalid_request when malformed. */
  parts(request: FastifyRequest, body: ClientBody): ClientAuthParts | undefined;
}
