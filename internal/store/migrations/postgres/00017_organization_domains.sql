-- +goose Up
-- Verified domains (Clerk's organization domains): an email domain an
-- organization claims, verified by a code sent to an address there
-- (affiliation_email, '' when the Backend API marked it verified). Once
-- verified, enrollment_mode (manual_invitation or automatic_invitation)
-- says whether people with a verified address at exactly that domain get
-- a pending invitation. The codes live in verifications, with the domain's
-- ID as their flow_id.
CREATE TABLE organization_domains (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    enrollment_mode   TEXT NOT NULL,
    verified_at       BIGINT,
    affiliation_email TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
-- Sign-up and a newly verified address look the domain up by name.
CREATE INDEX organization_domains_name ON organization_domains (name);

-- +goose Down
DROP TABLE organization_domains;
