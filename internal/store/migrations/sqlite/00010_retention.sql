-- +goose Up
-- Old events, webhook deliveries and captured development messages are
-- pruned by age (PORTAL_EVENT_RETENTION).
CREATE INDEX events_created ON events (created_at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX outbox_messages_created ON outbox_messages (created_at);

-- +goose Down
DROP INDEX outbox_messages_created;
DROP INDEX webhook_deliveries_created;
DROP INDEX events_created;
