-- +goose Up
-- Application invitations (Clerk's /v1/invitations): an address invited to
-- sign up. Only the ticket's SHA-256 is kept. No unique index on email:
-- ignore_existing may invite an address twice.
CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    public_metadata  TEXT NOT NULL DEFAULT '{}',
    redirect_url     TEXT NOT NULL DEFAULT '',
    ticket_hash      TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    accepted_user_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_email ON invitations (email, status);
CREATE INDEX invitations_created ON invitations (created_at);

-- +goose Down
DROP TABLE invitations;
