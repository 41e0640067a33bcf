-- +goose Up
-- A start of sign-in or sign-up looks for the same start its browser made
-- a moment before (a double click), to go on with that flow instead of
-- sending a second code.
CREATE INDEX flows_client ON flows (client_id, kind, created_at);

-- +goose Down
DROP INDEX flows_client;
