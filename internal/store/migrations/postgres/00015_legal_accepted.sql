-- +goose Up
-- When the user agreed to the instance's legal documents (Clerk's
-- legal_accepted_at, unix milliseconds); NULL when they never did, or the
-- instance asked nobody to.
ALTER TABLE users ADD COLUMN legal_accepted_at BIGINT;

-- +goose Down
ALTER TABLE users DROP COLUMN legal_accepted_at;
