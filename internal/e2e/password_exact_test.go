package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"golang.org/x/text/unicode/norm"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-PW-02 and REQ-PW-04 through the forms: a long password of Unicode,
// spaces (leading and trailing too) and punctuation — 70 code points,
// well over bcrypt's 72 bytes — is taken at sign-up as typed in decomposed
// form and signs in typed in composed form (NFC before hashing); every
// near miss is refused: its first 72 bytes, without the spaces at its
// ends, in other case, or one character short.
func TestPasswordVerifiedWhole_REQ_PW_02_REQ_PW_04(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	decomposed := " Cafe\u0301 de\u0301ja\u0300 vu — 密码是秘密 🦊🦊 ~!@#$%^&*()_+{}|:\"<>? Ωmega Ñandu\u0303 λx end "
	composed := norm.NFC.String(decomposed)
	if composed == decomposed || utf8.RuneCountInString(composed) < 64 || len(composed) <= 72 {
		t.Fatalf("password %q: %d code points, %d bytes; want a decomposed one of at least 64 code points and over 72 bytes",
			composed, utf8.RuneCountInString(composed), len(composed))
	}

	b := newBrowser(t, p)
	verify := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": decomposed, "first_name": "Ada", "last_name": "Lovelace"})
	if verify.Status != http.StatusOK {
		t.Fatalf("sign-up with the long Unicode password: %d\n%s", verify.Status, verify.text())
	}
	wantHandBack(t, b.submit(verify, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()}),
		http.StatusSeeOther, appURL)

	cut72 := composed[:72]
	for !utf8.ValidString(cut72) {
		cut72 = cut72[:len(cut72)-1]
	}
	runes := []rune(composed)
	for what, pw := range map[string]string{
		"its first 72 bytes":                cut72,
		"the first 72 bytes, then anything": composed[:72] + "x",
		"without the spaces at its ends":    strings.TrimSpace(composed),
		"in upper case":                     strings.ToUpper(composed),
		"in lower case":                     strings.ToLower(composed),
		"one character short":               string(runes[:len(runes)-2]) + string(runes[len(runes)-1]),
	} {
		in := newBrowser(t, p)
		pg := signIn(t, in, "ada@example.com", pw, appURL)
		if pg.Status != http.StatusUnprocessableEntity || pg.setCookie("__session") != nil {
			t.Errorf("signing in with %s: status %d, want 422 and no session", what, pg.Status)
		}
	}
	for _, pw := range []string{decomposed, composed} {
		wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", pw, appURL), http.StatusSeeOther, appURL)
	}
}

// REQ-PW-03 through the portal: a password of lowercase letters and spaces
// only is taken (no composition rules); the sign-up and password pages ask
// for no hint and no security question; and a year later, on the same
// password, sign-in goes straight back to the app — no expiry, no forced
// change.
func TestNoCompositionRulesHintsOrExpiry_REQ_PW_03(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	const plain = "lanterns over quiet water"
	b := newBrowser(t, p)
	form := b.get(withRedirect("/sign-up", appURL))
	verify := b.submit(form, signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": plain, "first_name": "Ada", "last_name": "Lovelace"})
	if verify.Status != http.StatusOK {
		t.Fatalf("sign-up with a lowercase-only password: %d\n%s", verify.Status, verify.text())
	}
	wantHandBack(t, b.submit(verify, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()}),
		http.StatusSeeOther, appURL)
	change := b.get("/user/password")
	for _, pg := range []*page{form, change} {
		pg.Doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
			name, _ := s.Attr("name")
			if n := strings.ToLower(name); strings.Contains(n, "hint") || strings.Contains(n, "question") || strings.Contains(n, "answer") {
				t.Errorf("%s asks for %q", pg.URL.Path, name)
			}
		})
		if txt := strings.ToLower(pg.text()); strings.Contains(txt, "security question") || strings.Contains(txt, "password hint") ||
			strings.Contains(txt, "uppercase") || strings.Contains(txt, "special character") {
			t.Errorf("%s speaks of hints, questions or composition rules:\n%s", pg.URL.Path, pg.text())
		}
	}

	clock.Advance(366 * 24 * time.Hour)
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", plain, appURL), http.StatusSeeOther, appURL)
}
