-- Clients identified by the URL of their metadata document (draft-ietf-oauth-client-id-metadata-
-- document): their row, registered_by 'metadata_document', is the document as last fetched, so
-- that codes, tokens and consent refer to it like any app's, and every process on the database
-- reuses one copy for as long as the document's Cache-Control allowed.
ALTER TABLE applications ADD COLUMN metadata_fetched_at timestamptz;
ALTER TABLE applications ADD COLUMN metadata_fresh_until timestamptz;
