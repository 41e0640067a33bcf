-- +goose Up
-- One row /readyz rewrites while the database has refused a write (a full
-- disk, a read-only file, a PostgreSQL standby), to learn without a
-- person's request when it takes writes again. Nothing reads it back.
CREATE TABLE write_probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	probed_at BIGINT NOT NULL
);
INSERT INTO write_probe (id, probed_at) VALUES (1, 0);

-- +goose Down
DROP TABLE write_probe;
