package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
)

// PORTAL_REQUIRE_MFA and a passkey: a passkey sign-in verifies the user (a
// PIN or biometric on the device that holds the key), so the session is
// multi-factor as it starts, as in Clerk — the app gets its token with fva
// [0 0] at once, the handshake and the front end's getToken give it too,
// and no authenticator app is asked for. The same person signing in with
// the password starts a single-factor session, which is still sent to set
// up a second step before any app sees it (REQ-IN-09) — until it confirms
// it's you with the passkey. A passkey answer without user verification
// signs nobody in (REQ-WA-05).
func TestRequiredMFAPasskeySignInIsMultiFactor_REQ_IN_09_REQ_WA_05(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_REQUIRE_MFA": "true"}})
	b := newBrowser(t, p)
	wantText(t, "after sign-up", signUp(t, p, b, "ada@example.com", appURL), http.StatusOK, "requires a second step")
	k := newKey(t, p)
	wantText(t, "adding a passkey", addPasskey(t, b, k, webauthntest.Ceremony{}), http.StatusOK, "Your passkey is ready")
	b.submit(b.get("/sign-out"), signOutForm, nil)
	clock.Advance(time.Minute)

	noUV := newBrowser(t, p)
	refused := signInWithPasskey(t, noUV, k, webauthntest.Ceremony{Flags: webauthntest.FlagUP | webauthntest.FlagBE | webauthntest.FlagBS}, appURL)
	noSession(t, "a passkey without user verification", refused)
	if refused.Status < 400 {
		t.Errorf("a passkey without user verification: %d to %q, want it refused", refused.Status, refused.Header.Get("Location"))
	}

	in := newBrowser(t, p)
	tok := wantHandBack(t, signInWithPasskey(t, in, k, webauthntest.Ceremony{}, appURL), http.StatusSeeOther, appURL)
	if got := fva(t, p, tok); got != [2]int{0, 0} {
		t.Errorf("fva of the passkey sign-in: %v, want [0 0]", got)
	}
	clock.Advance(2 * time.Minute)
	if got := fva(t, p, wantHandBack(t, in.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); got != [2]int{2, 2} {
		t.Errorf("fva from the handshake two minutes on: %v, want [2 2]", got)
	}
	ct := in.postForm(http.MethodPost, "/v1/client/sessions/"+activeSessionOf(t, p, "ada@example.com")+"/tokens", nil,
		map[string]string{"Origin": appOrigin, "Sec-Fetch-Site": "same-site"})
	if ct.Status != http.StatusOK || !strings.Contains(ct.Body, `"jwt"`) {
		t.Errorf("client token of the passkey session: %d %s", ct.Status, ct.Body)
	}
	sec := in.get("/user/security?redirect_url=" + url.QueryEscape(appURL))
	if sec.Status != http.StatusOK || strings.Contains(sec.text(), "requires a second step") {
		t.Errorf("/user/security of the passkey session tells it to set up a second step (status %d):\n%s", sec.Status, sec.text())
	}

	pw := newBrowser(t, p)
	step := signIn(t, pw, "ada@example.com", goodPassword, appURL)
	wantText(t, "the password sign-in", step, http.StatusOK, "requires a second step")
	if step.URL.Path != "/user/security" {
		t.Fatalf("the password sign-in: at %s, want the second-step setup", step.URL)
	}
	noSession(t, "the password sign-in", step)
	noSession(t, "the handshake after the password", pw.getRaw(handshakePath(appURL)))
	// The passkey session is still the app's.
	wantHandBack(t, in.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)

	// Confirming it's you with the passkey makes the password session
	// multi-factor: then it goes on to the app.
	confirm := pw.get("/user/verify?return=" + url.QueryEscape("/user/security"))
	form := `form[action="/user/verify"][data-passkey-login]`
	_, opts := pw.passkeyOptions("/sign-in/passkey/options", nil)
	pw.submit(confirm, form, map[string]string{"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID,
		"credential": string(k.Get(t, opts, webauthntest.Ceremony{}))})
	if got := fva(t, p, wantHandBack(t, pw.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); got != [2]int{0, 0} {
		t.Errorf("fva after confirming with the passkey: %v, want [0 0]", got)
	}
}
