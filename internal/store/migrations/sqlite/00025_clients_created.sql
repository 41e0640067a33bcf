-- +goose Up
-- Housekeeping deletes clients that never held a session and have no flow
-- left, a day after they were made (DeleteIdleClients): every sign-in makes
-- a new client (REQ-SES-02), so the browser's old one would otherwise stay
-- for ever.
CREATE INDEX clients_created ON clients (created_at);

-- +goose Down
DROP INDEX clients_created;
