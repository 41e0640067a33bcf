-- +goose Up
-- Actor tokens (Clerk's /v1/actor_tokens): sign-in tokens that start an
-- impersonation session. They are kept with the sign-in tokens, whose
-- links, single use and revocation they share; actor is set on them alone
-- (the actor object as JSON, with its "sub") with the lifetime of the
-- session they start. A session an actor token started records its actor,
-- which its tokens carry as the act claim; NULL on every other session.
ALTER TABLE sign_in_tokens ADD COLUMN actor TEXT;
ALTER TABLE sign_in_tokens ADD COLUMN session_max_seconds INTEGER;
ALTER TABLE sessions ADD COLUMN actor TEXT;

-- +goose Down
ALTER TABLE sessions DROP COLUMN actor;
ALTER TABLE sign_in_tokens DROP COLUMN session_max_seconds;
ALTER TABLE sign_in_tokens DROP COLUMN actor;
