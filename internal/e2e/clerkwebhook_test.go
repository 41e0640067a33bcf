package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

// A relying app's webhook handler written for Clerk keeps working: the
// portal's deliveries verify with @clerk/backend's verifyWebhook and the
// endpoint's whsec_ secret, which reads the event's type and data; the
// same delivery with its body altered, or checked with another secret,
// does not verify.
func TestClerkVerifyWebhookAcceptsTheDeliveries(t *testing.T) {
	modules := clerkModules(t)
	type delivery struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	recv := startWebhookReceiver(t)
	secret := webhook.NewSecret()
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": recv.URL + "/webhooks/clerk", "PORTAL_WEBHOOK_SECRET": secret,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL), http.StatusSeeOther, appURL))

	d := recv.await(t, "user.created", func(d delivered) bool { return strings.Contains(d.Body, `"type":"user.created"`) })
	created := delivery{URL: d.URL, Headers: d.Headers, Body: d.Body}
	altered := created
	altered.Body = strings.Replace(created.Body, c.Subject, "user_someoneelse", 1)
	other := webhook.NewSecret()

	run := func(secret string, reqs ...delivery) []map[string]string {
		t.Helper()
		var res []map[string]string
		runNode(t, "clerk_verify_webhook.cjs", map[string]any{"modules": modules, "secret": secret, "requests": reqs}, &res)
		if len(res) != len(reqs) {
			t.Fatalf("node answered %v, want %d results", res, len(reqs))
		}
		return res
	}
	res := run(secret, created, altered)
	if res[0]["type"] != "user.created" || res[0]["id"] != c.Subject || res[0]["error"] != "" {
		t.Errorf("the delivery: %v, want user.created for %s", res[0], c.Subject)
	}
	if res[1]["error"] == "" {
		t.Errorf("the altered delivery verified: %v", res[1])
	}
	if res := run(other, created); res[0]["error"] == "" {
		t.Errorf("the delivery verified with another endpoint's secret: %v", res[0])
	}
}
