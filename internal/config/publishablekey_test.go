package config

import (
	"encoding/base64"
	"strings"
	"testing"
)

// The publishable key Clerk's SDKs take names the portal's issuer, as
// @clerk/shared's parsePublishableKey reads it: base64 of the name and a
// "$", after "pk_live_". A name without a dot has none, since the SDK
// refuses it. (TestClerkBackendAuthenticateRequest runs the SDK on one.)
func TestPublishableKey(t *testing.T) {
	for _, c := range []struct{ base, want string }{
		{"https://accounts.example.com", "accounts.example.com$"},
		{"http://127.0.0.1:4000", "127.0.0.1:4000$"},
		{"https://example.com/accounts/", "example.com/accounts$"},
		{"http://localhost:4000", ""},
	} {
		cfg := Config{BaseURL: c.base}
		got := cfg.PublishableKey()
		if c.want == "" {
			if got != "" {
				t.Errorf("%s: %q, want none", c.base, got)
			}
			continue
		}
		enc, ok := strings.CutPrefix(got, "pk_live_")
		dec, err := base64.StdEncoding.DecodeString(enc)
		if !ok || err != nil || string(dec) != c.want {
			t.Errorf("%s: %q decodes to %q (%v), want pk_live_ and %q", c.base, got, dec, err, c.want)
		}
	}
}
