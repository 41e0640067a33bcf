package e2e

import (
	"bytes"
	"context"
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
// a token issued for another app, and takes one from a portal whose
// clock runs a few seconds ahead. Its stillSignedIn, for a form posted
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
	// A portal whose clock runs 9 s ahead of the app's issues a token
	// not good until 4 s from now (nbf is iat minus 5 s): the README's
	// clockTolerance takes it.
	clock.Advance(9 * time.Second)
	ahead := wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)

	names := strings.NewReplacer("https://accounts.example.com", p.URL, "https://app.example.com", appOrigin)
	// The README's import line goes to the top of the module, the rest of
	// the check into a function of the request's cookies.
	imports, check, ok := strings.Cut(check, "\n\n")
	if !ok || !strings.HasPrefix(imports, "import ") {
		t.Fatalf("README's jose check does not start with its import line:\n%s", imports)
	}
	script := imports + `
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

	res := run(valid, expired, other, expiredOther, ahead)
	if res[4] != (result{Sub: c.Subject}) {
		t.Errorf("a token from a portal 9 s ahead: %+v, want accepted as %s", res[4], c.Subject)
	}
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

// The README's two ways of checking the token with @clerk/backend's
// verifyToken run as written: with secretKey and apiUrl, the app's token
// is accepted and another app's refused by authorizedParties; with
// jwtKey, the PEM its shell line prints from the JWKS accepts the app's
// token, and once `portal keys rotate` has made a new key sign, that
// PEM refuses the new tokens ("JWT signature is invalid") while secretKey
// fetches the new key by itself.
func TestReadmeClerkVerifyToken(t *testing.T) {
	modules := clerkModules(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, call, _ := strings.Cut(strings.Join(strings.Fields(string(readme)), " "),
		"Clerk's `@clerk/backend` works for this too: `verifyToken(token, {")
	call, _, ok := strings.Cut(call, "})`")
	if !ok || !strings.Contains(call, "secretKey") {
		t.Fatalf("README has no `verifyToken(token, { secretKey, … })`")
	}
	pemLine := between(t, "README.md", string(readme), "public key as PEM, which this prints from the JWKS, each key in turn:\n\n```sh", "```\n")
	_, printPEM, ok := strings.Cut(pemLine, `| node -e "`)
	if !ok || !strings.HasSuffix(printPEM, `"`) {
		t.Fatalf("README's PEM line is not `curl … | node -e \"…\"`: %s", pemLine)
	}
	printPEM = strings.TrimSuffix(printPEM, `"`)

	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	const otherApp = "http://localhost:5174/"
	tok := wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	other := wantHandBack(t, b.getRaw(handshakePath(otherApp)), http.StatusTemporaryRedirect, otherApp)
	c, _ := verify(t, p, tok)

	pemOf := func() string {
		t.Helper()
		res, err := http.Get(p.URL + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		cmd := exec.Command("node", "-e", printPEM)
		cmd.Stdin = res.Body
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), "-----BEGIN PUBLIC KEY-----\n") {
			t.Fatalf("the README's PEM line: %q, %v", out, err)
		}
		return string(out)
	}
	names := strings.NewReplacer("https://accounts.example.com", p.URL, "https://app.example.com", appOrigin)
	script := `import { verifyToken } from '@clerk/backend';
import fs from 'node:fs';
const { tokens, secretKey, jwtKey } = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = [];
for (const token of tokens) {
  for (const opts of [{` + names.Replace(call) + `}, { jwtKey }]) {
    try { out.push((await verifyToken(token, opts)).sub); } catch (e) { out.push(e.message); }
  }
}
process.stdout.write(JSON.stringify(out));
`
	dir := t.TempDir()
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "verify.mjs"), []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(jwtKey string, tokens ...string) []string {
		t.Helper()
		in, err := json.Marshal(map[string]any{"tokens": tokens, "secretKey": p.SecretKey, "jwtKey": jwtKey})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("node", filepath.Join(dir, "verify.mjs"))
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		raw, err := cmd.Output()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, stderr.String())
		}
		var res []string
		if err := json.Unmarshal(raw, &res); err != nil || len(res) != 2*len(tokens) {
			t.Fatalf("node answered %q (%v)", raw, err)
		}
		return res
	}

	before := pemOf()
	res := run(before, tok, other)
	if res[0] != c.Subject || res[1] != c.Subject {
		t.Errorf("the app's token: secretKey %q, jwtKey %q; want %s both", res[0], res[1], c.Subject)
	}
	if !strings.Contains(res[2], "azp") {
		t.Errorf("another app's token with authorizedParties: %q, want refused for its azp", res[2])
	}

	if _, err := p.Signer.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	res = run(before, fresh)
	if res[0] != c.Subject || res[1] != "JWT signature is invalid." {
		t.Errorf("after a rotation: secretKey %q, the old jwtKey %q; want %s, and the old key refused", res[0], res[1], c.Subject)
	}
	if n := strings.Count(pemOf(), "-----BEGIN PUBLIC KEY-----"); n != 2 {
		t.Errorf("the README's line printed %d keys after a rotation, want the new and the old", n)
	}
}
