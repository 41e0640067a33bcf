package e2e

import (
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// signedIn reports whether b's cookies sign it in: the sign-in page hands a
// signed-in browser straight back to the app.
func signedIn(t *testing.T, b *browser) bool {
	t.Helper()
	pg := b.get(withRedirect("/sign-in", appURL))
	return pg.Status == http.StatusSeeOther && pg.setCookie("__session") != nil
}

// plant gives victim the __client value attacker holds, as a sibling
// subdomain could (cookie tossing).
func plant(t *testing.T, attacker, victim *browser) {
	t.Helper()
	v := attacker.cookie("__client")
	if v == "" {
		t.Fatal("the attacker has no __client to plant")
	}
	victim.jar.SetCookies(victim.base, []*http.Cookie{{Name: "__client", Value: v, Path: "/"}})
}

// REQ-SES-02: a password sign-in moves the browser to a new client. The
// __client value it held before (here planted by someone else, who kept a
// copy) reaches nothing: its holder stays signed out while the browser that
// signed in is signed in.
func TestPasswordSignInDefeatsPlantedClient_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	attacker := newBrowser(t, p)
	attacker.get("/sign-in") // a signed __client of the attacker's own
	victim := newBrowser(t, p)
	plant(t, attacker, victim)
	before := victim.cookie("__client")

	wantHandBack(t, signIn(t, victim, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	if victim.cookie("__client") == before {
		t.Errorf("the sign-in left the browser's __client as it was")
	}
	if !signedIn(t, victim) {
		t.Errorf("the browser that signed in is signed out")
	}
	if signedIn(t, attacker) {
		t.Errorf("the planted __client's holder is signed in as the victim")
	}
}

// REQ-SES-02: the password form sent twice at once (a double click): the
// first answer signs in on a new client, and the second, carrying the old
// cookie, follows it to the app and is told the new cookie. Someone else
// holding the old __client and the flow's address does not.
func TestDoubleSubmitPasswordFollowsNewClient_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	attacker := newBrowser(t, p)
	attacker.get("/sign-in")
	b := newBrowser(t, p)
	plant(t, attacker, b)
	old := b.cookie("__client")

	action, vals := b.formValues(passwordStep(t, b, "ada@example.com", appURL), passwordForm,
		map[string]string{"password": goodPassword})
	pages := sendTwice(t, b, action, vals)
	var fresh []string
	for i, pg := range pages {
		if pg.Status != http.StatusSeeOther || pg.Header.Get("Location") != appURL || pg.setCookie("__session") == nil {
			t.Fatalf("answer %d: %d to %q, want a hand-back to %s:\n%s", i+1, pg.Status, pg.Header.Get("Location"), appURL, pg.text())
		}
		ck := pg.setCookie("__client")
		if ck == nil || ck.Value == old {
			t.Fatalf("answer %d gives the browser no new __client", i+1)
		}
		fresh = append(fresh, ck.Value)
	}
	if !signedIn(t, b) {
		t.Errorf("the browser that signed in is signed out")
	}
	// The attacker replays the form's address with the old __client but
	// its own CSRF secret.
	replay := attacker.get(action.String() + "?" + "sign_in=" + vals.Get("sign_in"))
	if replay.setCookie("__session") != nil || (replay.setCookie("__client") != nil && replay.setCookie("__client").Value != old) {
		t.Errorf("the old __client's holder got the session: %d %v", replay.Status, replay.Header)
	}
	if signedIn(t, attacker) {
		t.Errorf("the planted __client's holder is signed in as the victim")
	}
}
