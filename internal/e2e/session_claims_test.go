package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// claimsOf verifies raw against the JWKS, as a relying app does, and
// returns every claim.
func claimsOf(t *testing.T, p *portaltest.Portal, raw string) map[string]any {
	t.Helper()
	var all map[string]any
	verifyInto(t, p, raw, &all)
	return all
}

// PORTAL_SESSION_TOKEN_CLAIMS (Clerk's "customize session token") adds the
// instance's claims to every __session token — the hand-back, a refresh
// through the Backend API — rendered from the user and the active
// organization with the JWT templates' shortcodes; a user's metadata
// change shows in the next token. Claims that render past 1.2 KB are left
// out and the token still comes.
func TestCustomSessionTokenClaims(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SESSION_TOKEN_CLAIMS": `{
		"metadata": "{{user.public_metadata}}",
		"email": "{{user.primary_email_address}}",
		"plan": "{{user.public_metadata.plan || 'free'}}",
		"greeting": "Hello {{user.first_name}}",
		"org": "{{org.slug}}"}`}})
	b := newBrowser(t, p)
	raw := wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	c := claimsOf(t, p, raw)
	if c["email"] != "ada@example.com" || c["plan"] != "free" || c["greeting"] != "Hello Ada" || c["org"] != nil {
		t.Errorf("custom claims of the first token: %v", c)
	}
	if m, ok := c["metadata"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("metadata claim = %#v, want an empty object", c["metadata"])
	}
	sid, sub := c["sid"].(string), c["sub"].(string)
	if !strings.HasPrefix(sid, "sess_") || !strings.HasPrefix(sub, "user_") || c["iss"] != p.URL {
		t.Fatalf("the token's own claims: %v", c)
	}

	if r := api(t, p, http.MethodPatch, "/v1/users/"+sub+"/metadata",
		map[string]any{"public_metadata": map[string]any{"plan": "pro", "role": "admin"}}, nil); r.Status != http.StatusOK {
		t.Fatalf("metadata: %d %s", r.Status, r.Body)
	}
	var out struct{ JWT string }
	if r := api(t, p, http.MethodPost, "/v1/sessions/"+sid+"/tokens", nil, &out); r.Status != http.StatusOK {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	c = claimsOf(t, p, out.JWT)
	if m, _ := c["metadata"].(map[string]any); c["plan"] != "pro" || m["role"] != "admin" || c["sid"] != sid {
		t.Errorf("after the metadata change: %v", c)
	}

	// Too large as rendered: left out, the token still minted.
	big := strings.Repeat("x", 1300)
	if r := api(t, p, http.MethodPatch, "/v1/users/"+sub+"/metadata",
		map[string]any{"public_metadata": map[string]any{"notes": big}}, nil); r.Status != http.StatusOK {
		t.Fatalf("metadata: %d %s", r.Status, r.Body)
	}
	if r := api(t, p, http.MethodPost, "/v1/sessions/"+sid+"/tokens", nil, &out); r.Status != http.StatusOK {
		t.Fatalf("token with oversized claims: %d %s", r.Status, r.Body)
	}
	c = claimsOf(t, p, out.JWT)
	for _, k := range []string{"metadata", "email", "plan", "greeting"} {
		if _, ok := c[k]; ok {
			t.Errorf("claim %q is in a token whose custom claims are over the limit", k)
		}
	}
	if c["sid"] != sid || c["sub"] != sub {
		t.Errorf("the oversized token lost its own claims: %v", c)
	}
}
