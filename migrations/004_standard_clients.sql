-- Standard OAuth clients next to Mastodon's: clients that register themselves (RFC 7591), public
-- clients without a secret, and tokens bound to one resource server's URI (RFC 8707).

-- A public client (token_endpoint_auth_method none) has no secret.
ALTER TABLE applications ALTER COLUMN client_secret_hash DROP NOT NULL;
-- Who registered it: 'mastodon_api' (POST /api/v1/apps), 'operator' (the CLI) or
-- 'dynamic_registration' (RFC 7591). The consent page says when no operator vouched for it.
ALTER TABLE applications ADD COLUMN registered_by text NOT NULL DEFAULT 'mastodon_api';
ALTER TABLE applications ADD COLUMN logo_uri text;
-- As an RFC 7591 client registered them; NULL for Mastodon's and the operator's apps (every grant,
-- either secret method).
ALTER TABLE applications ADD COLUMN grant_types text[];
ALTER TABLE applications ADD COLUMN token_endpoint_auth_method text;

-- The resource URIs (RFC 8707) the operator tied to a resource server.
CREATE TABLE resources (
  uri            text PRIMARY KEY,
  application_id bigint NOT NULL REFERENCES applications ON DELETE CASCADE
);
CREATE INDEX resources_application_idx ON resources (application_id);

-- The resource a code was authorized for, and a token is bound to; NULL: none.
ALTER TABLE authorization_codes ADD COLUMN resource text;
ALTER TABLE access_tokens ADD COLUMN resource text;
