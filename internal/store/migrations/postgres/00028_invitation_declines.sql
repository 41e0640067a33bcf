-- +goose Up
-- Who declined an organization's invitation, and when (Decline), so that
-- automatic invitations and suggestions from its verified domains do not
-- come back to that person: not when they verify another address there,
-- nor when the domain is set to invite again. Kept by person, not address:
-- someone who later holds the address has not declined anything. An
-- admin's revocation leaves both NULL.
ALTER TABLE organization_invitations ADD COLUMN declined_at BIGINT;
ALTER TABLE organization_invitations ADD COLUMN declined_by TEXT;
CREATE INDEX organization_invitations_declined ON organization_invitations (org_id, declined_by) WHERE declined_by IS NOT NULL;

-- +goose Down
DROP INDEX organization_invitations_declined;
ALTER TABLE organization_invitations DROP COLUMN declined_by;
ALTER TABLE organization_invitations DROP COLUMN declined_at;
