-- +goose Up
-- The waiting list (Clerk's /v1/waitlist_entries): one entry per address,
-- pending, invited or rejected; "completed" is read from the linked
-- invitation (accepted), never stored. invitation_id is the latest
-- invitation sent from the entry.
CREATE TABLE waitlist_entries (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL,
    invitation_id TEXT REFERENCES invitations (id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX waitlist_entries_created ON waitlist_entries (created_at);

-- +goose Down
DROP TABLE waitlist_entries;
