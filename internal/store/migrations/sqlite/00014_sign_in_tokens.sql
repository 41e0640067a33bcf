-- +goose Up
-- Sign-in tokens (Clerk's /v1/sign_in_tokens): one-time links that sign a
-- user in. Only the token's SHA-256 is kept; the token itself is answered
-- once, when it is created. A token goes from pending to accepted (used)
-- or revoked, once; past expires_at a pending one can no longer be used.
CREATE TABLE sign_in_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sign_in_tokens_user ON sign_in_tokens (user_id);

-- +goose Down
DROP TABLE sign_in_tokens;
