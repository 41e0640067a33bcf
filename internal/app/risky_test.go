package app

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/config"
)

// A production portal takes PORTAL_WEBHOOK_ALLOW_PRIVATE=true and a long
// PORTAL_SESSION_TOKEN_TTL (either can be deliberate) but says at start-up,
// one warning each, which setting, its value and the risk: requests into
// the operator's own network (REQ-WH-06), and a revoked session's token
// still accepted by apps until it expires (REQ-SES-04). The safe values,
// and a development portal, warn of neither.
func TestProductionWarnsOfRiskySettings(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want map[string]string // setting → value warned of
	}{
		{"safe defaults", nil, nil},
		{"safe edges", map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "false", "PORTAL_SESSION_TOKEN_TTL": "5m"}, nil},
		{"private webhooks", map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"},
			map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}},
		{"long tokens", map[string]string{"PORTAL_SESSION_TOKEN_TTL": "1h"},
			map[string]string{"PORTAL_SESSION_TOKEN_TTL": "1h0m0s"}},
		{"both", map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true", "PORTAL_SESSION_TOKEN_TTL": "5m1s"},
			map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true", "PORTAL_SESSION_TOKEN_TTL": "5m1s"}},
		{"development", map[string]string{"PORTAL_ENV": "development", "PORTAL_WEBHOOK_ALLOW_PRIVATE": "true",
			"PORTAL_SESSION_TOKEN_TTL": "1h", "PORTAL_ALLOWED_REDIRECT_ORIGINS": "http://localhost:*"}, nil},
		// Forgotten, the development default lets sign-in send people back
		// to none of the operator's apps. Before, the only warning said
		// that these (localhost) apps never get the cookies and to serve
		// them on the portal's host or set PORTAL_COOKIE_DOMAIN.
		{"redirect origins left at the development default", map[string]string{"PORTAL_ALLOWED_REDIRECT_ORIGINS": "http://localhost:*"},
			map[string]string{"PORTAL_ALLOWED_REDIRECT_ORIGINS": "http://localhost:*"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{
				"PORTAL_ENV":                      "production",
				"PORTAL_BASE_URL":                 "https://accounts.example.com",
				"PORTAL_SMTP_URL":                 "smtp://u:p@mail.example.com:587",
				"PORTAL_SECRET_KEY":               "sk_live_" + strings.Repeat("s", 32),
				"PORTAL_COOKIE_SECRET":            strings.Repeat("k", 32),
				"PORTAL_DATABASE_URL":             "sqlite:" + filepath.Join(t.TempDir(), "portal.db"),
				"PORTAL_LOG_FORMAT":               "json",
				"PORTAL_ALLOWED_REDIRECT_ORIGINS": "https://app.example.com",
				"PORTAL_COOKIE_DOMAIN":            "example.com",
			}
			for k, v := range c.env {
				env[k] = v
			}
			cfg, err := config.FromMap(env)
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			p, err := Build(t.Context(), cfg, Options{Log: &log})
			if err != nil {
				t.Fatal(err)
			}
			p.Close()
			got := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
				var l map[string]any
				if line == "" { // nothing logged
					continue
				}
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				setting, _ := l["setting"].(string)
				if l["level"] != "WARN" || setting == "" {
					continue
				}
				if _, twice := got[setting]; twice {
					t.Errorf("%s warned of twice", setting)
				}
				got[setting], _ = l["value"].(string)
				if msg, _ := l["msg"].(string); !strings.HasPrefix(msg, setting) || !strings.Contains(msg, "production") {
					t.Errorf("warning %q does not begin with the setting and say why it matters in production", msg)
				}
			}
			if c.want["PORTAL_ALLOWED_REDIRECT_ORIGINS"] != "" && strings.Contains(log.String(), "never receive the __session") {
				t.Errorf("the development default's origins are also told to get the cookies another way:\n%s", log.String())
			}
			if len(got) != len(c.want) {
				t.Errorf("warned of %v, want %v\n%s", got, c.want, log.String())
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s warned with value %q, want %q\n%s", k, got[k], v, log.String())
				}
			}
		})
	}
}
