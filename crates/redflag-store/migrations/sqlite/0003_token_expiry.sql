-- API tokens may expire (`redflag tokens create --expires DAYS`); NULL never expires.
-- Times are fixed-width RFC 3339 UTC text, like every other time in the store.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
