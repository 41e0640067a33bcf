-- +goose Up
-- The tickets that resending an organization invitation replaced, hashed
-- as the live one is, so that an older email's link can say a newer one
-- was sent rather than call the invitation gone. They let nobody in:
-- nothing but that message reads them. They go with their invitation
-- (cascade), or once the link that replaced them has expired (expire_at)
-- for as long as events are kept (PruneBefore).
CREATE TABLE organization_invitation_replaced_tickets (
    ticket_hash   TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL REFERENCES organization_invitations(id) ON DELETE CASCADE,
    replaced_at   BIGINT NOT NULL,
    expire_at     BIGINT NOT NULL
);
CREATE INDEX organization_invitation_replaced_tickets_invitation ON organization_invitation_replaced_tickets (invitation_id);
CREATE INDEX organization_invitation_replaced_tickets_expire_at ON organization_invitation_replaced_tickets (expire_at);

-- +goose Down
DROP TABLE organization_invitation_replaced_tickets;
