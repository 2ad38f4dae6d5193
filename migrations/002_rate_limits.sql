-- Rate-limit counters shared by every Doorman process on this database (when REDIS_URL is unset).
-- One row per key (route, client, address): a fixed window that starts at the key's first request.
-- UNLOGGED: counters are worth nothing after a crash, and skipping the WAL makes each hit cheaper.
CREATE UNLOGGED TABLE rate_limits (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  count        integer NOT NULL
);
-- housekeeping deletes windows that are long over
CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start);
