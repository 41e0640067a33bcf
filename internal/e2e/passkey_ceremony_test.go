package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
	"github.com/portalhq/portal/internal/user"
)

// What the passkey service checks, checked again through the running
// portal's own WebAuthn configuration (its origin, its RP ID, its policy),
// in both ceremonies: a response of the wrong type (REQ-WA-01), made in a
// cross-origin iframe or naming another top-level site (REQ-WA-03),
// without user presence or without user verification (REQ-WA-05), or
// claiming a backed-up state without backup eligibility (REQ-WA-06) adds
// no passkey and signs nobody in; at sign-in, a userHandle naming another
// user than the credential's owner is refused too (REQ-WA-08). The same
// key then registers and signs in, as its owner.
func TestPasskeyCeremonyChecksThroughThePortal_REQ_WA_01_03_05_06_08(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	const (
		up, uv, be, bs = webauthntest.FlagUP, webauthntest.FlagUV, webauthntest.FlagBE, webauthntest.FlagBS
	)
	cases := []struct {
		name     string
		register webauthntest.Ceremony
		signIn   webauthntest.Ceremony
	}{
		{"REQ-WA-01 wrong type", webauthntest.Ceremony{Type: "webauthn.get"}, webauthntest.Ceremony{Type: "webauthn.create"}},
		{"REQ-WA-03 cross-origin iframe", webauthntest.Ceremony{CrossOrigin: true, TopOrigin: "https://evil.example"},
			webauthntest.Ceremony{CrossOrigin: true, TopOrigin: "https://evil.example"}},
		{"REQ-WA-03 topOrigin without crossOrigin", webauthntest.Ceremony{TopOrigin: "https://evil.example"},
			webauthntest.Ceremony{TopOrigin: "https://evil.example"}},
		{"REQ-WA-05 UP missing", webauthntest.Ceremony{Flags: uv | be}, webauthntest.Ceremony{Flags: uv | be}},
		{"REQ-WA-05 UV missing", webauthntest.Ceremony{Flags: up | be}, webauthntest.Ceremony{Flags: up | be}},
		{"REQ-WA-06 BS without BE", webauthntest.Ceremony{Flags: up | uv | bs}, webauthntest.Ceremony{Flags: up | uv | bs}},
	}

	ada := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, ada, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	eve := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, eve, "eve@example.com", appURL), http.StatusSeeOther, appURL)
	u, _ := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com")
	e, _ := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "eve@example.com")
	passkeys := func() int {
		t.Helper()
		creds, err := p.Store.Q.CredentialsOfUser(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(creds)
	}

	for _, tc := range cases {
		pg := addPasskey(t, ada, newKey(t, p), tc.register)
		if pg.Status < 400 || pg.Status >= 500 || passkeys() != 0 {
			t.Errorf("registration, %s: status %d, %d passkeys stored; want a 4xx and none", tc.name, pg.Status, passkeys())
		}
	}

	k := newKey(t, p)
	wantText(t, "adding a well-formed passkey", addPasskey(t, ada, k, webauthntest.Ceremony{Flags: up | uv | be | bs}),
		http.StatusOK, "Your passkey is ready")
	sessions := activeSessions(t, p, u.ID)
	cases = append(cases, struct {
		name     string
		register webauthntest.Ceremony
		signIn   webauthntest.Ceremony
	}{name: "REQ-WA-08 another user's handle", signIn: webauthntest.Ceremony{UserHandle: []byte(e.ID)}})
	for _, tc := range cases {
		in := newBrowser(t, p)
		pg := signInWithPasskey(t, in, k, tc.signIn, appURL)
		noSession(t, "sign-in, "+tc.name, pg)
		if pg.Status != http.StatusUnauthorized {
			t.Errorf("sign-in, %s: status %d, want 401", tc.name, pg.Status)
		}
	}
	if n := activeSessions(t, p, u.ID); n != sessions {
		t.Errorf("%d active sessions after the refusals, want %d", n, sessions)
	}
	if n := activeSessions(t, p, e.ID); n != 1 {
		t.Errorf("eve has %d active sessions, want her own one", n)
	}

	tok := wantHandBack(t, signInWithPasskey(t, newBrowser(t, p), k, webauthntest.Ceremony{}, appURL), http.StatusSeeOther, appURL)
	if c, _ := verify(t, p, tok); c.Subject != u.ID {
		t.Errorf("the passkey signed in as %s, want its owner %s", c.Subject, u.ID)
	}
}
