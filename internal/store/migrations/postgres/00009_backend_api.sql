-- +goose Up
-- Backend API: what Clerk's user object carries beyond the sign-in data.
ALTER TABLE users ADD COLUMN public_metadata  TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN private_metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN unsafe_metadata  TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN external_id      TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN admin_locked     BOOLEAN NOT NULL DEFAULT FALSE;

-- Organizations and invitations carry Clerk's public and private metadata
-- too (organizations come from 00007, which goose applies first on a fresh
-- database).
ALTER TABLE organizations ADD COLUMN public_metadata  TEXT NOT NULL DEFAULT '{}';
ALTER TABLE organizations ADD COLUMN private_metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE organization_invitations ADD COLUMN public_metadata  TEXT NOT NULL DEFAULT '{}';
ALTER TABLE organization_invitations ADD COLUMN private_metadata TEXT NOT NULL DEFAULT '{}';

-- Webhook endpoints. event_types is a comma-separated list; empty means
-- every event. previous_secret keeps signing until previous_secret_until
-- after a rotation (REQ-WH-04).
CREATE TABLE webhook_endpoints (
    id                    TEXT PRIMARY KEY,
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    secret                TEXT NOT NULL,
    previous_secret       TEXT NOT NULL DEFAULT '',
    previous_secret_until BIGINT,
    event_types           TEXT NOT NULL DEFAULT '',
    disabled              BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason       TEXT NOT NULL DEFAULT '',
    failing_since         BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

-- One row per (endpoint, event), written in the transaction that writes the
-- event: nothing reads the events table with a cursor, so a sequence number
-- that commits late cannot be skipped.
CREATE TABLE webhook_deliveries (
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    event_seq        BIGINT NOT NULL,
    event_type       TEXT NOT NULL,
    object_id        TEXT NOT NULL,
    status           TEXT NOT NULL,
    tries            INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    lease_until      BIGINT,
    last_attempt_at  BIGINT,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_object ON webhook_deliveries (endpoint_id, object_id, event_seq);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (endpoint_id, event_seq);

CREATE TABLE webhook_attempts (
    id           TEXT PRIMARY KEY,
    endpoint_id  TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    attempted_at BIGINT NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    response     TEXT NOT NULL DEFAULT '',
    duration_ms  BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (endpoint_id, event_id) REFERENCES webhook_deliveries (endpoint_id, event_id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (endpoint_id, event_id, attempted_at);

CREATE TABLE jwt_templates (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    claims             TEXT NOT NULL,
    lifetime           INTEGER NOT NULL,
    allowed_clock_skew INTEGER NOT NULL,
    custom_signing_key BOOLEAN NOT NULL DEFAULT FALSE,
    signing_algorithm  TEXT NOT NULL,
    signing_key        TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- +goose Down
DROP TABLE jwt_templates;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
ALTER TABLE organization_invitations DROP COLUMN private_metadata;
ALTER TABLE organization_invitations DROP COLUMN public_metadata;
ALTER TABLE organizations DROP COLUMN private_metadata;
ALTER TABLE organizations DROP COLUMN public_metadata;
ALTER TABLE users DROP COLUMN admin_locked;
ALTER TABLE users DROP COLUMN external_id;
ALTER TABLE users DROP COLUMN unsafe_metadata;
ALTER TABLE users DROP COLUMN private_metadata;
ALTER TABLE users DROP COLUMN public_metadata;
