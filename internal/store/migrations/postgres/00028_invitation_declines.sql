-- +goose Up
-- When a person declined an organization's invitation (Decline), so that
-- automatic invitations from its verified domains do not come back to any
-- of their addresses: not when they verify another address there, nor when
-- the domain is set to invite again. An admin's revocation leaves it NULL.
ALTER TABLE organization_invitations ADD COLUMN declined_at BIGINT;
CREATE INDEX organization_invitations_declined ON organization_invitations (org_id, email) WHERE declined_at IS NOT NULL;

-- +goose Down
DROP INDEX organization_invitations_declined;
ALTER TABLE organization_invitations DROP COLUMN declined_at;
