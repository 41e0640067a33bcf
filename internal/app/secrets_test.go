package app

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/config"
)

// Machines on one database must share PORTAL_SECRET_KEY and
// PORTAL_COOKIE_SECRET. One started with another value warns, naming the
// setting (before, nothing said so: a share of the requests failed at
// random, people signed out on some machines); one started with the value
// of the portal before it does not. No secret reaches the log.
func TestStartWarnsOfSecretsOtherMachinesDoNotShare(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "portal.db")
	start := func(secretKey, cookieSecret string) string {
		t.Helper()
		cfg, err := config.FromMap(map[string]string{
			"PORTAL_ENV":                      "production",
			"PORTAL_BASE_URL":                 "https://accounts.example.com",
			"PORTAL_ALLOWED_REDIRECT_ORIGINS": "https://app.example.com",
			"PORTAL_COOKIE_DOMAIN":            "example.com",
			"PORTAL_SMTP_URL":                 "smtp://u:p@mail.example.com:587",
			"PORTAL_SECRET_KEY":               secretKey,
			"PORTAL_COOKIE_SECRET":            cookieSecret,
			"PORTAL_DATABASE_URL":             db,
			"PORTAL_LOG_FORMAT":               "json",
		})
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		p, err := Build(t.Context(), cfg, Options{Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		if strings.Contains(log.String(), secretKey) || strings.Contains(log.String(), cookieSecret) {
			t.Errorf("a secret is in the log:\n%s", log.String())
		}
		return log.String()
	}
	key1, key2 := "sk_live_"+strings.Repeat("a", 32), "sk_live_"+strings.Repeat("b", 32)
	cookie1, cookie2 := strings.Repeat("c", 32), strings.Repeat("d", 32)
	warned := func(log, setting string) bool {
		return strings.Contains(log, `"msg":"`+setting+` is not the one`) && strings.Contains(log, `"setting":"`+setting+`"`)
	}
	for _, c := range []struct {
		name              string
		key, cookie       string
		wantKey, wantCook bool
	}{
		{"the first machine", key1, cookie1, false, false},
		{"a second with the same", key1, cookie1, false, false},
		{"a third with another cookie secret", key1, cookie2, false, true},
		{"a fourth with another secret key", key2, cookie2, true, false},
		{"and another like it", key2, cookie2, false, false},
	} {
		log := start(c.key, c.cookie)
		if warned(log, "PORTAL_SECRET_KEY") != c.wantKey || warned(log, "PORTAL_COOKIE_SECRET") != c.wantCook {
			t.Errorf("%s: warned of the secret key %v, of the cookie secret %v; want %v, %v\n%s", c.name,
				warned(log, "PORTAL_SECRET_KEY"), warned(log, "PORTAL_COOKIE_SECRET"), c.wantKey, c.wantCook, log)
		}
	}
}
