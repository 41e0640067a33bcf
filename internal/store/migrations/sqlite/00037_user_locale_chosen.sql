-- +goose Up
-- Whether the user's language was chosen (on the account page, or set by
-- the app through the Backend API) rather than recorded from the browser
-- that signed up. A chosen language is also the language of the person's
-- signed-in pages on a browser that has chosen none; a recorded one only
-- writes their messages, since the browser they use now may say otherwise.
ALTER TABLE users ADD COLUMN locale_chosen INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN locale_chosen;
