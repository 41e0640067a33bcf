package e2e

import (
	"encoding/base64"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-CR-01, the source: no code the portal ships imports math/rand, so
// every random value it makes comes from crypto/rand (the id package and
// the few direct crypto/rand readers).
func TestNoMathRandInThePortal_REQ_CR_01(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			// Test helpers are not shipped.
			if strings.HasSuffix(filepath.ToSlash(path), "internal/testutil") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		seen++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "math/rand" || p == "math/rand/v2" {
				t.Errorf("%s imports %s; secrets and identifiers must come from crypto/rand", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("walked %d Go files from %s; not the module", seen, root)
	}
}

// REQ-CR-01, what the running portal hands out: each unguessable value a
// person or an app receives — the emailed link's token, a sign-in token,
// an invitation's ticket, the CSRF token, the session and client IDs, the
// generated Backend API key — carries at least 128 bits, and two of a kind
// differ.
func TestIssuedSecretsCarry128Bits_REQ_CR_01(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	type issued struct{ what, value string }
	var all []issued
	keep := func(what, v string) { all = append(all, issued{what, v}) }

	for i, email := range []string{"ada@example.com", "bob@example.com"} {
		b := newBrowser(t, p)
		wantHandBack(t, signUp(t, p, b, email, appURL), http.StatusSeeOther, appURL)
		keep("the CSRF token", b.csrf())
		sid := activeSessionOf(t, p, email)
		keep("the session ID", strings.TrimPrefix(sid, "sess_"))

		lb := newBrowser(t, p)
		lb.submit(passwordStep(t, lb, email, appURL), prepareForm, map[string]string{"strategy": "email_link"})
		keep("the emailed link's token", tokenOf(t, p.SMTP.WaitFor(t, email, mailWait).Link()))

		u := userByEmail(t, p, email)
		var tok struct {
			Token string `json:"token"`
		}
		if r := api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": u.ID}, &tok); r.Status != http.StatusOK {
			t.Fatalf("POST /v1/sign_in_tokens: %d %s", r.Status, r.Body)
		}
		keep("a sign-in token", tok.Token)

		var inv struct {
			URL string `json:"url"`
		}
		invitee := "invitee" + strconv.Itoa(i) + "@example.com"
		if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": invitee, "notify": false}, &inv); r.Status != http.StatusOK {
			t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
		}
		q := mustParse(t, inv.URL).Query()
		ticket := q.Get("ticket") + q.Get("__clerk_ticket")
		if ticket == "" {
			t.Fatalf("no ticket in the invitation URL %q", inv.URL)
		}
		keep("an invitation's ticket", ticket)
	}
	keep("the Backend API key", strings.TrimPrefix(strings.TrimPrefix(p.SecretKey, "sk_test_"), "sk_live_"))

	byKind := map[string][]string{}
	for _, s := range all {
		if bits := entropyBits(s.value); bits < 128 {
			t.Errorf("%s %q carries %.0f bits, want at least 128", s.what, s.value, bits)
		}
		for _, other := range byKind[s.what] {
			if other == s.value {
				t.Errorf("%s issued twice: %q", s.what, s.value)
			}
		}
		byKind[s.what] = append(byKind[s.what], s.value)
	}
}

// entropyBits is the most a value can carry: its bytes when it reads as
// unpadded base64url, else its length over the alphabet it draws on.
func entropyBits(v string) float64 {
	if b, err := base64.RawURLEncoding.DecodeString(v); err == nil && len(v)%4 != 1 {
		return float64(len(b) * 8)
	}
	alphabet := 62.0
	if strings.ContainsAny(v, "-_") {
		alphabet = 64
	}
	return float64(len(v)) * math.Log2(alphabet)
}
