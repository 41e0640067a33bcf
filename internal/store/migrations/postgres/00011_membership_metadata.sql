-- +goose Up
-- Memberships carry Clerk's public and private metadata, as organizations
-- and invitations do.
ALTER TABLE organization_memberships ADD COLUMN public_metadata  TEXT NOT NULL DEFAULT '{}';
ALTER TABLE organization_memberships ADD COLUMN private_metadata TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE organization_memberships DROP COLUMN private_metadata;
ALTER TABLE organization_memberships DROP COLUMN public_metadata;
