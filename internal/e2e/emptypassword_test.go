package e2e

import (
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A password step sent empty (a browser whose required check is off, a
// script) asks for the password, the same for an account and for no
// account (REQ-IN-02's same answer), and tries nothing: a dozen empty
// sends, more than the lockout's ten, leave the account open to its
// right password (REQ-RL-01 counts wrong passwords, not missing ones).
func TestEmptyPasswordAsksForItAndCountsForNothing(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	var bodies []string
	for _, who := range []string{"ada@example.com", "nobody@example.com"} {
		b := newBrowser(t, p)
		step := passwordStep(t, b, who, appURL)
		for range 12 {
			pg := b.submit(step, passwordForm, map[string]string{"password": ""})
			wantText(t, "an empty password for "+who, pg, http.StatusUnprocessableEntity, "Enter your password.")
			if pg.Doc.Find(passwordForm).Length() != 1 {
				t.Fatalf("an empty password for %s: no password form to try again:\n%s", who, pg.text())
			}
			step = pg
		}
		bodies = append(bodies, step.Doc.Find(`[role=alert], .cl-formFieldErrorText`).Text())
	}
	if bodies[0] != bodies[1] {
		t.Errorf("an empty password is answered %q for an account and %q for none", bodies[0], bodies[1])
	}
	b := newBrowser(t, p)
	wantHandBack(t, signIn(t, b, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}
