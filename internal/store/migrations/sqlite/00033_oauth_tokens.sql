-- +goose Up
-- Each external account's latest token set from its provider, for relying
-- apps that call the provider's API as the person (GET
-- /v1/users/{id}/oauth_access_tokens/{provider}). sealed holds the access,
-- refresh and ID tokens, AES-256-GCM with the account's ID as associated
-- data, so no token is stored in plain text and a row copied onto another
-- account does not open. Replaced at every sign-in or refresh; it goes
-- with its account (cascade), and so with its user.
CREATE TABLE oauth_tokens (
    external_account_id TEXT PRIMARY KEY REFERENCES external_accounts(id) ON DELETE CASCADE,
    sealed              TEXT NOT NULL,
    scopes              TEXT NOT NULL DEFAULT '',
    expires_at          INTEGER,
    updated_at          INTEGER NOT NULL
);

-- +goose Down
DROP TABLE oauth_tokens;
