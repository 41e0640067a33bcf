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
// a token issued for another app.
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
	snippet := between(t, "README.md", string(readme), "In Node.js with `jose`:\n\n```js", "```\n")

	// The portal's clock starts an hour back, so the first token has
	// expired by the time Node.js (on the real clock) reads it.
	clock := clockwork.NewFakeClockAt(time.Now().Add(-time.Hour))
	p := portaltest.Start(t, portaltest.Options{Clock: clock})
	b := newBrowser(t, p)
	expired := wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	clock.Advance(time.Hour)
	valid := wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	const otherApp = "http://localhost:5174/"
	other := wantHandBack(t, b.getRaw(handshakePath(otherApp)), http.StatusTemporaryRedirect, otherApp)
	c, _ := verify(t, p, valid)

	code := strings.NewReplacer("https://accounts.example.com", p.URL, "https://app.example.com", appOrigin).Replace(snippet)
	script := `import { createRemoteJWKSet, jwtVerify, errors } from 'jose';
import fs from 'node:fs';

async function check(cookies) {
` + code + `
  return payload;
}

const out = [];
for (const token of JSON.parse(fs.readFileSync(0, 'utf8'))) {
  try {
    out.push({ sub: (await check({ __session: token })).sub, error: '' });
  } catch (e) {
    out.push({ sub: '', error: e instanceof errors.JWTExpired ? 'JWTExpired' : String(e.message) });
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
	in, err := json.Marshal([]string{valid, expired, other})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "check.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res []struct{ Sub, Error string }
	if err := json.Unmarshal(raw, &res); err != nil || len(res) != 3 {
		t.Fatalf("node answered %q (%v), want 3 results", raw, err)
	}
	if res[0].Sub != c.Subject || res[0].Error != "" {
		t.Errorf("the app's token: %+v, want %s", res[0], c.Subject)
	}
	if res[1].Error != "JWTExpired" {
		t.Errorf("the expired token: %+v, want JWTExpired", res[1])
	}
	if res[2].Error != "token issued for another app" {
		t.Errorf("another app's token: %+v, want refused as issued for another app", res[2])
	}
}
