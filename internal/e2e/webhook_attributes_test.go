package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

// Each webhook says, as Clerk's do in event_attributes.http_request, which
// client made the change: a person's sign-up carries their browser's
// address (read from the trusted proxy's X-Forwarded-For) and User-Agent;
// a Backend API call carries the app server's.
func TestWebhooksSayWhichRequestMadeTheChange(t *testing.T) {
	type envelope struct {
		Type       string `json:"type"`
		Attributes struct {
			HTTPRequest struct {
				ClientIP  string `json:"client_ip"`
				UserAgent string `json:"user_agent"`
			} `json:"http_request"`
		} `json:"event_attributes"`
		Data struct {
			EmailAddresses []struct {
				EmailAddress string `json:"email_address"`
			} `json:"email_addresses"`
		} `json:"data"`
	}
	recv := startWebhookReceiver(t)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": recv.URL, "PORTAL_WEBHOOK_SECRET": webhook.NewSecret(),
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true", "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}})

	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	b := newBrowser(t, p)
	b.header = http.Header{"X-Forwarded-For": {"203.0.113.7"}, "User-Agent": {firefox}}
	signUp(t, p, b, "ada@example.com", "")
	apiUser(t, p, "grace@example.com")

	created := func(email string) envelope {
		t.Helper()
		var env envelope
		recv.await(t, "user.created for "+email, func(d delivered) bool {
			env = envelope{}
			return json.Unmarshal([]byte(d.Body), &env) == nil && env.Type == "user.created" &&
				len(env.Data.EmailAddresses) > 0 && env.Data.EmailAddresses[0].EmailAddress == email
		})
		return env
	}
	if r := created("ada@example.com").Attributes.HTTPRequest; r.ClientIP != "203.0.113.7" || r.UserAgent != firefox {
		t.Errorf("the browser's sign-up: http_request %+v, want 203.0.113.7 and its Firefox User-Agent", r)
	}
	if r := created("grace@example.com").Attributes.HTTPRequest; r.ClientIP != "127.0.0.1" || !strings.HasPrefix(r.UserAgent, "Go-http-client/") {
		t.Errorf("the Backend API's user: http_request %+v, want the app server's 127.0.0.1 and Go's User-Agent", r)
	}
}

// A User-Agent is the client's to fill, and HTTP lets it carry bytes that
// are not UTF-8 (Latin-1 from an old client, or on purpose). PostgreSQL
// refuses such text, so kept as sent it would fail the event's insert and
// with it the change itself: nobody with such a browser could sign up or
// in (REQ-LOG-02: a failure of ours, not the user's). The event keeps the
// header as valid UTF-8, and the sign-up goes through.
func TestAUserAgentThatIsNotUTF8DoesNotFailTheChange_REQ_RL_06(t *testing.T) {
	recv := startWebhookReceiver(t)
	p := portaltest.Start(t, portaltest.Options{Postgres: true, Env: map[string]string{
		"PORTAL_WEBHOOK_URL": recv.URL, "PORTAL_WEBHOOK_SECRET": webhook.NewSecret(),
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})

	b := newBrowser(t, p)
	// No trusted proxy is configured: the X-Forwarded-For the client
	// wrote is not where it came from (REQ-RL-06).
	b.header = http.Header{"User-Agent": {"Mozilla/5.0 (Caf\xe9; \xff\xfe)"}, "X-Forwarded-For": {"203.0.113.7"}}
	if done := signUp(t, p, b, "ada@example.com", ""); done.Status >= 400 {
		t.Fatalf("sign-up from a browser whose User-Agent is not UTF-8: status %d:\n%s", done.Status, done.text())
	}
	var ua, ip string
	recv.await(t, "user.created", func(d delivered) bool {
		var env struct {
			Type       string `json:"type"`
			Attributes struct {
				HTTPRequest struct {
					ClientIP  string `json:"client_ip"`
					UserAgent string `json:"user_agent"`
				} `json:"http_request"`
			} `json:"event_attributes"`
		}
		if json.Unmarshal([]byte(d.Body), &env) != nil || env.Type != "user.created" {
			return false
		}
		ua, ip = env.Attributes.HTTPRequest.UserAgent, env.Attributes.HTTPRequest.ClientIP
		return true
	})
	if !strings.HasPrefix(ua, "Mozilla/5.0 (Caf") || !utf8.ValidString(ua) {
		t.Errorf("user.created's user_agent = %q, want the header as valid UTF-8", ua)
	}
	if ip != "127.0.0.1" {
		t.Errorf("user.created's client_ip = %q, want the peer's 127.0.0.1, not the spoofed X-Forwarded-For", ip)
	}
}
