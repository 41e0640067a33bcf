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
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// The README's Node.js check of the session token with `jose` runs as
// written, the example's names given the test portal's and app's: it
// accepts the token the portal handed the app, throws jose's JWTExpired
// for one that ran out (the README's cue for the handshake), and refuses
// a token issued for another app. Its stillSignedIn, for a form posted
// with an expired token, accepts the app's while the session is active,
// and neither another app's nor one whose session was revoked.
func TestReadmeNodeJoseExample(t *testing.T) {
	modules := clerkModules(t)
	if _, err := os.Stat(filepath.Join(modules, "jose", "package.json")); err != nil {
		t.Fatalf("jose is needed for this test and was not found (%v): run `make deps`, which installs it "+
			"from the npm registry, or set PORTAL_TEST_CLERK_MODULES=/path/to/node_modules", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	check := between(t, "README.md", string(readme), "In Node.js with `jose`:\n\n```js", "```\n")
	still := between(t, "README.md", string(readme), "checks the signature and `iss` before `exp`, and its `JWTExpired` carries the claims:\n\n```js", "```\n")

	// The portal's clock starts an hour back, so the first tokens have
	// expired by the time Node.js (on the real clock) reads them.
	clock := clockwork.NewFakeClockAt(time.Now().Add(-time.Hour))
	p := portaltest.Start(t, portaltest.Options{Clock: clock})
	b := newBrowser(t, p)
	const otherApp = "http://localhost:5174/"
	expired := wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	expiredOther := wantHandBack(t, b.getRaw(handshakePath(otherApp)), http.StatusTemporaryRedirect, otherApp)
	clock.Advance(time.Hour)
	valid := wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	other := wantHandBack(t, b.getRaw(handshakePath(otherApp)), http.StatusTemporaryRedirect, otherApp)
	c, _ := verify(t, p, valid)

	names := strings.NewReplacer("https://accounts.example.com", p.URL, "https://app.example.com", appOrigin)
	script := `import { createRemoteJWKSet, jwtVerify, errors } from 'jose';
import fs from 'node:fs';

async function check(cookies) {
` + names.Replace(check) + `
  return payload;
}

` + names.Replace(still) + `

const out = [];
for (const token of JSON.parse(fs.readFileSync(0, 'utf8'))) {
  try {
    out.push({ sub: (await check({ __session: token })).sub, error: '', still: '' });
  } catch (e) {
    out.push({ sub: '', error: e instanceof errors.JWTExpired ? 'JWTExpired' : String(e.message),
      still: (await stillSignedIn(e))?.sub ?? '' });
  }
}
process.stdout.write(JSON.stringify(out));
`
	// The script finds jose as an app does, in node_modules beside it.
	dir := t.TempDir()
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "check.mjs"), []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct{ Sub, Error, Still string }
	run := func(tokens ...string) []result {
		t.Helper()
		in, err := json.Marshal(tokens)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("node", filepath.Join(dir, "check.mjs"))
		cmd.Stdin = bytes.NewReader(in)
		cmd.Env = append(os.Environ(), "PORTAL_SECRET_KEY="+p.SecretKey)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		raw, err := cmd.Output()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, stderr.String())
		}
		var res []result
		if err := json.Unmarshal(raw, &res); err != nil || len(res) != len(tokens) {
			t.Fatalf("node answered %q (%v), want %d results", raw, err, len(tokens))
		}
		return res
	}

	res := run(valid, expired, other, expiredOther)
	if res[0] != (result{Sub: c.Subject}) {
		t.Errorf("the app's token: %+v, want %s", res[0], c.Subject)
	}
	if res[1] != (result{Error: "JWTExpired", Still: c.Subject}) {
		t.Errorf("the expired token: %+v, want JWTExpired, still signed in as %s", res[1], c.Subject)
	}
	if res[2].Error != "token issued for another app" || res[2].Still != "" {
		t.Errorf("another app's token: %+v, want refused as issued for another app", res[2])
	}
	if res[3] != (result{Error: "JWTExpired"}) {
		t.Errorf("another app's expired token: %+v, want JWTExpired and not still signed in", res[3])
	}

	if r := api(t, p, http.MethodPost, "/v1/sessions/"+c.SID+"/revoke", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if res := run(expired); res[0] != (result{Error: "JWTExpired"}) {
		t.Errorf("the expired token of a revoked session: %+v, want JWTExpired and not still signed in", res[0])
	}
}
