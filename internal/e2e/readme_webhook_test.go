package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

// The README's webhook check without a library (Node.js, node:crypto
// only) runs as written on the portal's real deliveries: it accepts a
// delivery with its endpoint's secret, and, once the secret is rotated,
// the next delivery with either secret (its svix-signature then holds
// two); it refuses a delivery whose body was altered and one checked
// with another endpoint's secret.
func TestReadmeNodeWebhookCheck(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("Node.js 20 or later is needed to run the README's webhook check: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	snippet := between(t, "README.md", string(readme), "`headers` as Node gives them (lower-case names):\n\n```js", "```\n")

	type delivery struct {
		Secret  string            `json:"secret"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	recv := startWebhookReceiver(t)
	first := webhook.NewSecret()
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": recv.URL + "/webhooks", "PORTAL_WEBHOOK_SECRET": first,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	created := func(email string) delivery {
		t.Helper()
		var u struct{ ID string }
		api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{email},
			"skip_password_requirement": true}, &u)
		p.WebhookWorker.Wake()
		d := recv.await(t, "user.created for "+email, func(d delivered) bool {
			return strings.Contains(d.Body, `"type":"user.created"`) && strings.Contains(d.Body, u.ID)
		})
		return delivery{Headers: d.Headers, Body: d.Body}
	}
	before := created("ada@example.com")
	var rotated struct{ Secret string }
	api(t, p, http.MethodPost, "/v1/webhooks/endpoints/"+webhook.ConfiguredID+"/rotate_secret", nil, &rotated)
	after := created("grace@example.com")
	if !strings.Contains(after.Headers["svix-signature"], " ") {
		t.Fatalf("after the rotation svix-signature is %q, want two signatures", after.Headers["svix-signature"])
	}

	with := func(d delivery, secret string) delivery { d.Secret = secret; return d }
	altered := with(before, first)
	altered.Body = strings.Replace(altered.Body, "ada@example.com", "eve@example.com", 1)
	cases := []struct {
		name string
		d    delivery
		ok   bool
	}{
		{"the delivery", with(before, first), true},
		{"its body altered", altered, false},
		{"another endpoint's secret", with(before, webhook.NewSecret()), false},
		{"after the rotation, with the new secret", with(after, rotated.Secret), true},
		{"after the rotation, with the old secret", with(after, first), true},
	}
	in := make([]delivery, len(cases))
	for i, c := range cases {
		in[i] = c.d
	}

	script := filepath.Join(t.TempDir(), "verify.mjs")
	harness := `
import fs from 'node:fs';
const out = JSON.parse(fs.readFileSync(0, 'utf8')).map(({ secret, headers, body }) => {
  try { return { type: verifyWebhook(secret, headers, body).type, error: '' }; }
  catch (e) { return { type: '', error: String(e.message) }; }
});
process.stdout.write(JSON.stringify(out));
`
	if err := os.WriteFile(script, []byte(snippet+"\n"+harness), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script)
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outRaw, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res []struct{ Type, Error string }
	if err := json.Unmarshal(outRaw, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("node answered %q (%v), want %d results", outRaw, err, len(cases))
	}
	for i, c := range cases {
		switch {
		case c.ok && (res[i].Error != "" || res[i].Type != "user.created"):
			t.Errorf("%s: %+v, want user.created", c.name, res[i])
		case !c.ok && res[i].Error == "":
			t.Errorf("%s verified: %+v", c.name, res[i])
		}
	}
}
