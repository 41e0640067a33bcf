package config

import "testing"

// PORTAL_SESSION_TOKEN_CLAIMS is checked at start-up: a claim of the
// token's own, an unknown shortcode or something that is no JSON object
// stops it with a message naming the setting, the position and the fix.
func TestSessionTokenClaimsAreChecked(t *testing.T) {
	for claims, want := range map[string]string{
		`{"sid": "x"}`: `"sid" is set by the portal`,
		`{"org_role": "{{org_membership.role}}"}`: `"org_role" is set by the portal`,
		`{"a": "{{user.nope}}"}`:                  "user.nope",
		`["a"]`:                                   "must be a JSON object",
	} {
		mustFail(t, nil, map[string]string{"PORTAL_SESSION_TOKEN_CLAIMS": claims}, "PORTAL_SESSION_TOKEN_CLAIMS: ", want,
			`like {"metadata":"{{user.public_metadata}}"}`)
	}
	c, err := load(nil, map[string]string{"PORTAL_SESSION_TOKEN_CLAIMS": `{"metadata": "{{user.public_metadata}}"}`})
	if err != nil || c.SessionTokenClaims == "" {
		t.Fatalf("a good template: %v", err)
	}
}
