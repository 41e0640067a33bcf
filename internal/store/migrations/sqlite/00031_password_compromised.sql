-- +goose Up
-- When the operator marked the user's password as compromised (the
-- Backend API's POST /v1/users/{id}/password/set_compromised): signing in
-- with it is refused until a new password is set, which clears it.
-- NULL when the password is not marked.
ALTER TABLE users ADD COLUMN password_compromised_at BIGINT;

-- +goose Down
ALTER TABLE users DROP COLUMN password_compromised_at;
