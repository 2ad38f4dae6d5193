import type { ClientAuthMethod } from './method.js';

/** RFC 6749 §2.3.1 `client_id` and `client_secret` in the request body. */
export const clientSecretPost: ClientAuthMethod = {
  name: 'client_secret_post',
  parts: (_request, body) =>
    body.client_id === undefined && body.client_secret === undefined
      ? undefined
      : { clientId: body.client_id, clientSecret: body.client_secret },
};
