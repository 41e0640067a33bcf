-- +goose Up
-- The allowlist and blocklist entries the operator adds through the Backend
-- API (Clerk's /v1/allowlist_identifiers and /v1/blocklist_identifiers),
-- which count together with PORTAL_ALLOWLIST and PORTAL_BLOCKLIST. An entry
-- is what the API shows; its keys are what it matches (an address, a
-- domain, a number, a username; digits may be a number and a username),
-- each at most once per list. Every check reads the keys afresh, by the
-- primary key: a key on a list, or whether a list has keys of a kind.
CREATE TABLE restriction_entries (
    id              TEXT PRIMARY KEY,
    list            TEXT NOT NULL,
    identifier      TEXT NOT NULL,
    identifier_type TEXT NOT NULL,
    invitation_id   TEXT REFERENCES invitations (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX restriction_entries_list ON restriction_entries (list, created_at);

CREATE TABLE restriction_keys (
    list     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    entry_id TEXT NOT NULL REFERENCES restriction_entries (id) ON DELETE CASCADE,
    PRIMARY KEY (list, kind, value)
);
CREATE INDEX restriction_keys_entry ON restriction_keys (entry_id);

-- +goose Down
DROP TABLE restriction_keys;
DROP TABLE restriction_entries;
