-- +goose Up
-- How the browser's last sign-in or sign-up proved who the person was
-- (Clerk's strategy names: password, email_code, oauth_google, passkey, …),
-- kept on the client that sign-in made: Clerk's Backend API answers it as a
-- client's last_authentication_strategy, and the sign-in page marks that way
-- in "Last used".
ALTER TABLE clients ADD COLUMN last_strategy TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN last_strategy;
