-- +goose Up
-- Until when an endpoint that answered 429, 502 or 504 is spared: no
-- delivery is sent to it before then, whether it was queued before the
-- answer or after (REQ-WH-05). NULL: not throttled.
ALTER TABLE webhook_endpoints ADD COLUMN throttled_until BIGINT;

-- +goose Down
ALTER TABLE webhook_endpoints DROP COLUMN throttled_until;
