-- +goose Up
-- One row per WebAuthn ceremony in progress; deleted on first use (REQ-WA-02).
CREATE TABLE passkey_challenges (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL DEFAULT '',
    flow_id    TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_challenges_expire ON passkey_challenges (expires_at);

-- The credential ID is unique across all users (REQ-WA-07).
CREATE TABLE passkey_credentials (
    id               BYTEA PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    public_key       BYTEA NOT NULL,
    attestation_type TEXT NOT NULL DEFAULT '',
    aaguid           BYTEA,
    sign_count       BIGINT NOT NULL DEFAULT 0,
    backup_eligible  BOOLEAN NOT NULL DEFAULT FALSE,
    backup_state     BOOLEAN NOT NULL DEFAULT FALSE,
    transports       TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    last_used_at     BIGINT
);
CREATE INDEX passkey_credentials_user ON passkey_credentials (user_id);

-- secret is sealed with AES-GCM; it counts once confirmed_at is set.
CREATE TABLE totp (
    user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret         TEXT NOT NULL,
    confirmed_at   BIGINT,
    last_used_step BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

CREATE TABLE backup_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX backup_codes_user ON backup_codes (user_id);

-- The verified number a user chose to receive second-factor codes on.
CREATE TABLE mfa_phones (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    identifier_id TEXT NOT NULL REFERENCES identifiers(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL
);

-- +goose Down
DROP TABLE mfa_phones;
DROP TABLE backup_codes;
DROP TABLE totp;
DROP TABLE passkey_credentials;
DROP TABLE passkey_challenges;
