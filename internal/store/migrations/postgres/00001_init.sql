-- +goose Up
CREATE TABLE instance_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    password_hash    TEXT NOT NULL DEFAULT '',
    primary_email_id TEXT NOT NULL DEFAULT '',
    banned           BOOLEAN NOT NULL DEFAULT FALSE,
    failed_sign_ins  INTEGER NOT NULL DEFAULT 0,
    locked_until     BIGINT,
    last_sign_in_at  BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE identifiers (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    verified_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX identifiers_user ON identifiers (user_id);

CREATE TABLE clients (
    id         TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    first_factor_at  BIGINT NOT NULL,
    second_factor_at BIGINT,
    active_org_id    TEXT NOT NULL DEFAULT '',
    ip               TEXT NOT NULL DEFAULT '',
    user_agent       TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    last_active_at   BIGINT NOT NULL,
    expire_at        BIGINT NOT NULL,
    ended_at         BIGINT
);
CREATE INDEX sessions_client ON sessions (client_id, status);
CREATE INDEX sessions_user ON sessions (user_id, status);

CREATE TABLE flows (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    status       TEXT NOT NULL,
    user_id      TEXT NOT NULL DEFAULT '',
    identifier   TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL DEFAULT '{}',
    redirect_url TEXT NOT NULL DEFAULT '',
    session_id   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    expire_at    BIGINT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX flows_expire ON flows (expire_at);

CREATE TABLE verifications (
    id          TEXT PRIMARY KEY,
    flow_id     TEXT NOT NULL,
    strategy    TEXT NOT NULL,
    target      TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expire_at   BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX verifications_flow ON verifications (flow_id, strategy, created_at);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);

CREATE TABLE events (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    data       JSONB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_object ON events (object_id, seq);

CREATE TABLE outbox_messages (
    id         TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    text_body  TEXT NOT NULL DEFAULT '',
    html_body  TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE outbox_messages;
DROP TABLE events;
DROP TABLE signing_keys;
DROP TABLE verifications;
DROP TABLE flows;
DROP TABLE sessions;
DROP TABLE clients;
DROP TABLE identifiers;
DROP TABLE users;
DROP TABLE instance_settings;
