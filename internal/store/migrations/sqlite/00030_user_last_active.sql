-- +goose Up
-- When the user was last active: signed in, or used a session (a page or
-- a token refresh, written at most once a minute per session); an
-- impersonation session does not count. Clerk's user.last_active_at.
-- Filled in from the sessions kept so far.
ALTER TABLE users ADD COLUMN last_active_at BIGINT;
UPDATE users SET last_active_at = (SELECT MAX(s.last_active_at) FROM sessions s
    WHERE s.user_id = users.id AND s.actor IS NULL);
CREATE INDEX users_last_active_at ON users (last_active_at);

-- +goose Down
DROP INDEX users_last_active_at;
ALTER TABLE users DROP COLUMN last_active_at;
