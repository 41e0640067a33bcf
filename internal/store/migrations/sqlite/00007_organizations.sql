-- +goose Up
CREATE TABLE organizations (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    slug         TEXT NOT NULL UNIQUE,
    logo_version INTEGER NOT NULL DEFAULT 0,
    max_members  INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX organizations_created_by ON organizations (created_by);

CREATE TABLE organization_logos (
    org_id       TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL
);

CREATE TABLE organization_memberships (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, user_id)
);
CREATE INDEX organization_memberships_user ON organization_memberships (user_id);
CREATE INDEX organization_memberships_role ON organization_memberships (org_id, role);

CREATE TABLE organization_invitations (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    status       TEXT NOT NULL,
    ticket_hash  TEXT NOT NULL UNIQUE,
    redirect_url TEXT NOT NULL DEFAULT '',
    inviter_id   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    expire_at    INTEGER NOT NULL
);
-- One pending invitation per address and organization.
CREATE UNIQUE INDEX organization_invitations_pending ON organization_invitations (org_id, email) WHERE status = 'pending';

CREATE INDEX sessions_active_org ON sessions (active_org_id);

-- +goose Down
DROP INDEX sessions_active_org;
DROP TABLE organization_invitations;
DROP TABLE organization_memberships;
DROP TABLE organization_logos;
DROP TABLE organizations;
