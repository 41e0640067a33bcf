-- +goose Up
-- The user's language, a BCP 47 tag (Clerk's user locale): set from the
-- language the person used the portal in when they signed up (when their
-- browser or choice asked for one the portal speaks), or by the app through
-- the Backend API. Messages to the account's owner about something another
-- person may have done (the lock notice, a new device's sign-in, a sign-up
-- attempt with their address) are written in it. '' when unknown: the
-- instance's default language.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN locale;
