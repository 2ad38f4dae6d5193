-- Most tokens have no refresh token (every client_credentials token, and every token while
-- ACCESS_TOKEN_TTL is unset). Keep their NULLs out of the unique index on refresh_token_hash: each
-- issued token then maintains one index entry fewer, and the index holds only refresh tokens.
CREATE UNIQUE INDEX access_tokens_refresh_token_hash_idx ON access_tokens (refresh_token_hash) WHERE refresh_token_hash IS NOT NULL;
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_refresh_token_hash_key;
