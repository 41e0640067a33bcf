-- +goose Up
-- The client a sign-in moved the browser from (REQ-SES-02), so that the
-- browser's own flows begun before it signed in are still known as its
-- own: the final form of a finished flow sent again goes on to the app, and
-- an expired flow's "Start again" keeps the app to return to.
ALTER TABLE clients ADD COLUMN previous_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN previous_id;
