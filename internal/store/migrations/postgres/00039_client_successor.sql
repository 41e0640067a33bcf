-- +goose Up
-- A browser that proves who it is again (reverification) moves to a new
-- client, as a sign-in does (REQ-SES-02). The same form sent twice, or a
-- response whose cookie the browser never kept, still arrives with the
-- old one for a moment: the portal finds the client that succeeded it by
-- its previous_id. Only clients a sign-in or a reverification made have
-- one, so the index leaves the rest out.
CREATE INDEX clients_previous ON clients (previous_id) WHERE previous_id <> '';

-- +goose Down
DROP INDEX clients_previous;
