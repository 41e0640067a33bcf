package token

import (
	"encoding/json"
	"testing"
	"time"
)

// A token minted for no app (the Backend API's POST /v1/sessions/{id}/tokens)
// has no azp rather than an empty one, as a JWT template's token: "" is no
// origin, and a verifier that checks azp only when present (Clerk's
// verifyToken) or one that requires it should both see the claim absent.
func TestSessionClaimsWithoutAppHaveNoAZP(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c, err := NewSessionClaims(SessionParams{Issuer: issuer, UserID: "user_1", SessionID: "sess_1", Now: now, TTL: ttl,
		FirstFactorAt: now})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["azp"]; ok {
		t.Errorf("azp = %q in %s, want none", v, b)
	}
	with := sessionClaims(t, now)
	if b, _ := with.JSON(); !json.Valid(b) || with.AuthorizedParty == "" {
		t.Fatalf("claims with an app: %s", b)
	} else if json.Unmarshal(b, &m) != nil || m["azp"] != "https://app.example.com" {
		t.Errorf("azp of an app's token = %v", m["azp"])
	}
}
