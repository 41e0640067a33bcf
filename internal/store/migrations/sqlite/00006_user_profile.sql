-- +goose Up
-- reverified_at: the last time the person proved who they are on this
-- session (sign-in, password or code on /user/verify); sensitive account
-- changes need it recent (REQ-SES-06).
ALTER TABLE sessions ADD COLUMN reverified_at INTEGER;
ALTER TABLE users ADD COLUMN primary_phone_id TEXT NOT NULL DEFAULT '';

-- Profile images, resized and re-encoded as PNG by the portal. The ID is
-- random and appears in the public URL, so the URL reveals nothing.
CREATE TABLE user_images (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    png        BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE user_images;
ALTER TABLE users DROP COLUMN primary_phone_id;
ALTER TABLE sessions DROP COLUMN reverified_at;
