-- +goose Up
-- Every sign-in moves the browser to a new client (REQ-SES-02). The new
-- client keeps a hash of the browser's CSRF secret, so that the same final
-- form sent twice (a double click) can follow the first answer to it for a
-- few seconds, and nobody else can.
ALTER TABLE clients ADD COLUMN handoff TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN handoff;
