-- +goose Up
-- external_id is the app's own ID for a user, unique within the instance as
-- Clerk documents it: the app finds its user by it. '' is no ID and may
-- repeat. Where users already share one this fails, and store.Migrate says
-- which users share which ID and how to resolve it (migrate.go).
CREATE UNIQUE INDEX users_external_id ON users (external_id) WHERE external_id <> '';

-- +goose Down
DROP INDEX users_external_id;
