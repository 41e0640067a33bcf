-- +goose Up
-- The HTTP request an event came from (the client's address, as the
-- trusted-proxy setting reads it, and its User-Agent), which webhooks
-- carry as Clerk's do, in event_attributes.http_request. Empty for events
-- no request made, and for those written before this migration.
ALTER TABLE events ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN user_agent;
ALTER TABLE events DROP COLUMN client_ip;
