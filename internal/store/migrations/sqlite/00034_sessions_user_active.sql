-- +goose Up
-- Every sign-in asks which browsers the user's sessions of the last 90
-- days came from, the most recently active first (newdevice, the new
-- sign-in email; SessionsOfUserSince). sessions_user (user_id, status)
-- found the user's rows but not in that order: each sign-in read and
-- sorted every session of the user kept, which for an account signed in
-- to by a script or an app's tests is thousands. With this index the
-- query reads the few it keeps, in order.
CREATE INDEX sessions_user_active ON sessions (user_id, last_active_at, id);

-- +goose Down
DROP INDEX sessions_user_active;
