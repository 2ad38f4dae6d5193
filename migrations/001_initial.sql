-- Secrets (client secrets, codes, access and refresh tokens, sign-in session ids) are 256-bit
-- random values; only their SHA-256 (base64url) is kept. Passwords keep a scrypt hash.

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  username      text NOT NULL,
  email         text NOT NULL,
  display_name  text NOT NULL DEFAULT '',
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE applications (
  id                 bigserial PRIMARY KEY,
  client_id          text NOT NULL UNIQUE,
  client_secret_hash text NOT NULL,
  name               text NOT NULL,
  website            text,
  redirect_uris      text[] NOT NULL,
  scopes             text[] NOT NULL,
  -- the API behind Doorman: may introspect every token
  resource_server    boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- set once, when the app first gets a token; apps that never do are pruned after a while
  first_used_at      timestamptz
);
CREATE INDEX applications_unused_idx ON applications (created_at) WHERE first_used_at IS NULL;

CREATE TABLE authorization_codes (
  id             bigserial PRIMARY KEY,
  code_hash      text NOT NULL UNIQUE,
  application_id bigint NOT NULL REFERENCES applications ON DELETE CASCADE,
  user_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  redirect_uri   text NOT NULL,
  scopes         text[] NOT NULL,
  code_challenge text,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz
);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);

CREATE TABLE access_tokens (
  id                 bigserial PRIMARY KEY,
  token_hash         text NOT NULL UNIQUE,
  application_id     bigint NOT NULL REFERENCES applications ON DELETE CASCADE,
  user_id            bigint REFERENCES users ON DELETE CASCADE,
  scopes             text[] NOT NULL,
  -- the authorization this token descends from: every token of one refresh family shares it,
  -- so a replayed code or refresh token can revoke the whole family at once
  family_id          bigint,
  created_at         timestamptz NOT NULL,
  expires_at         timestamptz,
  revoked_at         timestamptz,
  refresh_token_hash text UNIQUE,
  refresh_expires_at timestamptz,
  -- when the refresh token was spent, and the pair it was exchanged for, encrypted under a key
  -- derived from that refresh token, so a retry within the grace window gets the same answer
  refreshed_at       timestamptz,
  refreshed_pair     text
);
CREATE INDEX access_tokens_family_idx ON access_tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX access_tokens_user_app_idx ON access_tokens (user_id, application_id) WHERE user_id IS NOT NULL;
CREATE INDEX access_tokens_application_idx ON access_tokens (application_id);
CREATE INDEX access_tokens_expires_idx ON access_tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX access_tokens_revoked_idx ON access_tokens (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE sessions (
  id           bigserial PRIMARY KEY,
  session_hash text NOT NULL UNIQUE,
  user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  address      text
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- What happened, to whom, from where; never a secret.
CREATE TABLE audit_events (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL,
  event      text NOT NULL,
  client_id  text,
  user_id    bigint,
  username   text,
  address    text,
  detail     jsonb
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
-- sign-in throttling counts recent failures per account and per address
CREATE INDEX audit_events_failed_user_idx ON audit_events (lower(username), at) WHERE event = 'sign_in.failed';
CREATE INDEX audit_events_failed_address_idx ON audit_events (address, at) WHERE event = 'sign_in.failed';
