-- +goose Up
-- Suggestions (Clerk's organization suggestions and membership requests):
-- a verified domain in automatic_suggestion mode suggests its organization
-- to each person with a verified address there (email, the address that
-- earned it). status: pending (suggested), requested (the person asked to
-- join: a membership request the organization's admins answer), accepted
-- (they were let in), rejected (turned down; that organization suggests
-- itself to them no more), withdrawn (the domain stopped suggesting before
-- they asked).
CREATE TABLE organization_suggestions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    status       TEXT NOT NULL,
    requested_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
-- One open suggestion per person and organization.
CREATE UNIQUE INDEX organization_suggestions_open ON organization_suggestions (org_id, user_id)
    WHERE status IN ('pending', 'requested');
-- The switcher lists a person's; the requests page an organization's.
CREATE INDEX organization_suggestions_user ON organization_suggestions (user_id);
CREATE INDEX organization_suggestions_org ON organization_suggestions (org_id, status);

-- +goose Down
DROP TABLE organization_suggestions;
