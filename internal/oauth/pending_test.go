package oauth_test

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/oauth"
)

func sealer(t *testing.T, keyByte byte) *oauth.Sealer {
	t.Helper()
	s, err := oauth.NewSealer(bytes.Repeat([]byte{keyByte}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestPendingRoundTrip_REQ_OA_01(t *testing.T) {
	s := sealer(t, 1)
	p := oauth.NewPending("github", oauth.IntentConnect, "sia_1", "http://localhost:3000/after", t0)
	v, err := s.Seal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(v, t0.Add(oauth.PendingMaxAge))
	if err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Errorf("opened %+v, sealed %+v", got, p)
	}
	if err := got.Check("github", p.State); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestPendingValuesAreRandomAndLong_REQ_CR_01(t *testing.T) {
	a := oauth.NewPending("github", oauth.IntentSignIn, "", "", t0)
	b := oauth.NewPending("github", oauth.IntentSignIn, "", "", t0)
	for _, v := range []string{a.State, a.Nonce, a.Verifier} {
		if len(v) < 43 { // 32 bytes, base64url
			t.Errorf("%q shorter than 43 characters", v)
		}
	}
	if a.State == b.State || a.Nonce == b.Nonce || a.Verifier == b.Verifier || a.State == a.Nonce {
		t.Error("values repeat")
	}
}

func TestPendingRefused_REQ_OA_01(t *testing.T) {
	s := sealer(t, 1)
	p := oauth.NewPending("github", oauth.IntentSignIn, "", "", t0)
	v, err := s.Seal(p)
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(v)
	tampered[len(tampered)/2] ^= 1
	for _, tc := range []struct {
		name  string
		s     *oauth.Sealer
		value string
		now   time.Time
		want  error
	}{
		{"tampered", s, string(tampered), t0, oauth.ErrCookie},
		{"not base64", s, "!!!", t0, oauth.ErrCookie},
		{"empty", s, "", t0, oauth.ErrCookie},
		{"sealed under another key", sealer(t, 2), v, t0, oauth.ErrCookie},
		{"expired", s, v, t0.Add(oauth.PendingMaxAge + time.Second), oauth.ErrExpired},
		{"from the future", s, v, t0.Add(-2 * time.Minute), oauth.ErrExpired},
	} {
		if _, err := tc.s.Open(tc.value, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestPendingCheck_REQ_OA_01_REQ_OA_03(t *testing.T) {
	p := oauth.NewPending("github", oauth.IntentSignIn, "", "", t0)
	for _, tc := range []struct {
		provider, state string
		want            error
	}{
		{"google", p.State, oauth.ErrProvider}, // mix-up: started at GitHub, came back on Google's callback
		{"", p.State, oauth.ErrProvider},
		{"github", p.State + "x", oauth.ErrState},
		{"github", "", oauth.ErrState},
	} {
		if err := p.Check(tc.provider, tc.state); !errors.Is(err, tc.want) {
			t.Errorf("Check(%q, …): err = %v, want %v", tc.provider, err, tc.want)
		}
	}
	if err := (oauth.Pending{Provider: "github"}).Check("github", ""); !errors.Is(err, oauth.ErrState) {
		t.Errorf("empty state on both sides: %v", err)
	}
}

func TestSealerNeeds32ByteKeyAndTime(t *testing.T) {
	if _, err := oauth.NewSealer(make([]byte, 16)); err == nil {
		t.Error("16-byte key accepted")
	}
	if _, err := sealer(t, 1).Seal(oauth.Pending{Provider: "github"}); err == nil {
		t.Error("Pending without Created sealed")
	}
}

func TestPendingCookie_REQ_CK_06_REQ_CK_01(t *testing.T) {
	c := oauth.PendingCookie("v", false, false)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 600 || c.Path != "/v1/oauth_callback/" || c.Domain != "" {
		t.Errorf("redirect cookie = %+v", c)
	}
	// Apple's form_post is a cross-site POST: only SameSite=None; Secure survives it.
	if c := oauth.PendingCookie("v", true, false); c.SameSite != http.SameSiteNoneMode || !c.Secure {
		t.Errorf("form_post cookie = %+v", c)
	}
	if c := oauth.ClearPendingCookie(false, true); c.MaxAge >= 0 || c.Value != "" || !c.Secure {
		t.Errorf("clearing cookie = %+v", c)
	}
	// REQ-CK-01: over HTTPS the name carries the __Secure- prefix (not
	// __Host-: the cookie is kept to the callback path).
	if c.Name != "__oauth" || oauth.PendingCookie("v", false, true).Name != "__Secure-oauth" {
		t.Errorf("names %q over http, %q over https; want __oauth, __Secure-oauth", c.Name, oauth.PendingCookie("v", false, true).Name)
	}
}
