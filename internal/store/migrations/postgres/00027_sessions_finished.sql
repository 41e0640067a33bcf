-- +goose Up
-- Housekeeping deletes sessions that ended, or reached their maximum
-- lifetime, longer ago than PORTAL_EVENT_RETENTION (DeleteFinishedSessions);
-- their clients then go with the idle ones. Without it every sign-in would
-- leave a session and a client for ever.
CREATE INDEX sessions_expire ON sessions (expire_at);
CREATE INDEX sessions_ended ON sessions (ended_at);

-- +goose Down
DROP INDEX sessions_ended;
DROP INDEX sessions_expire;
