-- +goose Up
-- What an organization removed (a membership, a domain) that left no row
-- behind: pressing Remove again from a stale tab then reads "already
-- removed" rather than "not found", and only for the organization it was
-- removed from, so another organization's IDs still read as never existing
-- (REQ-AC-02). Pruned with the events (PruneBefore).
CREATE TABLE organization_removals (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    removed_at BIGINT NOT NULL
);
CREATE INDEX organization_removals_org ON organization_removals (org_id);
CREATE INDEX organization_removals_removed_at ON organization_removals (removed_at);

-- +goose Down
DROP TABLE organization_removals;
