-- +goose Up
ALTER TABLE verifications ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE verifications ADD COLUMN ip TEXT NOT NULL DEFAULT '';
CREATE INDEX verifications_secret ON verifications (secret_hash);
CREATE INDEX verifications_target ON verifications (target, created_at);
CREATE INDEX verifications_ip ON verifications (ip, created_at);
CREATE INDEX verifications_channel ON verifications (channel, created_at);

-- +goose Down
DROP INDEX verifications_channel;
DROP INDEX verifications_ip;
DROP INDEX verifications_target;
DROP INDEX verifications_secret;
ALTER TABLE verifications DROP COLUMN ip;
ALTER TABLE verifications DROP COLUMN channel;
