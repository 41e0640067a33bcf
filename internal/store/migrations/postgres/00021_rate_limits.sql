-- +goose Up
-- Rate limits shared by every machine on this database (ratelimit.Shared):
-- one GCRA state per key, tat being the moment in Unix nanoseconds when the
-- key's allowance is full again. key is the SHA-256 (hex) of the limiter's
-- key, which may hold an address. A row whose tat has passed is worth
-- nothing and is deleted by the hourly housekeeping.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);

-- +goose Down
DROP TABLE rate_limits;
