package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

const newBackupCodesForm = `form[action="/user/security/backup-codes"]`

// shownBackupCodes lists the backup codes a page shows.
func shownBackupCodes(pg *page) []string {
	var codes []string
	pg.Doc.Find(`[data-testid=backup-codes] code`).Each(func(_ int, s *goquery.Selection) { codes = append(codes, s.Text()) })
	return codes
}

// backupCodeSignsIn reports whether code, as a second factor, signs Ada in.
func backupCodeSignsIn(t *testing.T, p *portaltest.Portal, code string) bool {
	t.Helper()
	in := newBrowser(t, p)
	step := in.submit(signIn(t, in, "ada@example.com", goodPassword, appURL), factorTwoPrepare, map[string]string{"strategy": "backup_code"})
	done := in.submit(step, factorTwoForm, map[string]string{"code": code})
	return done.Status == http.StatusSeeOther && done.setCookie("__session") != nil
}

// "Get new backup codes" pressed twice — one press after the other from
// the same page, or both at once (a double click) — replaces the codes
// once: one answer shows new codes, the other says they were replaced a
// moment ago and shows none, so the codes a person sees are always the
// ones that work. Pressed again from that answer, it makes new ones.
func TestNewBackupCodesPressedTwiceShowOnlyCodesThatWork(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p, clock := startFake(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		_, first := enrolTOTP(t, b, clock)
		// A set is known by when it was made: the fake clock moves as a
		// person's does between one page and the next press.
		clock.Advance(time.Second)

		confirm := b.get("/user/security/backup-codes")
		action, vals := b.formValues(confirm, newBackupCodesForm, nil)
		one := b.send(b.request(http.MethodPost, action.String(), vals))
		two := b.send(b.request(http.MethodPost, action.String(), vals))
		shown := shownBackupCodes(one)
		if one.Status != http.StatusOK || len(shown) != 10 {
			t.Fatalf("the first press: %d with %d codes:\n%s", one.Status, len(shown), one.text())
		}
		wantText(t, "the second press from the same page", two, http.StatusConflict, "replaced a moment ago")
		if n := len(shownBackupCodes(two)); n != 0 {
			t.Errorf("the second press shows %d codes", n)
		}

		// Both at once: one makes codes, the other says so.
		clock.Advance(time.Second)
		confirm = b.get("/user/security/backup-codes")
		action, vals = b.formValues(confirm, newBackupCodesForm, nil)
		var (
			made   []string
			notice *page
		)
		for _, pg := range sendTwice(t, b, action, vals) {
			switch codes := shownBackupCodes(pg); {
			case pg.Status == http.StatusOK && len(codes) == 10:
				made = append(made, codes...)
			case pg.Status == http.StatusConflict && len(codes) == 0 && notice == nil:
				notice = pg
			default:
				t.Fatalf("a press of two at once: %d with %d codes:\n%s", pg.Status, len(codes), pg.text())
			}
		}
		if len(made) != 10 || notice == nil {
			t.Fatalf("two presses at once: %d codes shown, notice %v; want one set and one notice", len(made), notice != nil)
		}
		if !backupCodeSignsIn(t, p, made[0]) {
			t.Errorf("a code shown by the press that made them does not sign in")
		}
		if backupCodeSignsIn(t, p, shown[1]) || backupCodeSignsIn(t, p, first[1]) {
			t.Errorf("a code of an earlier set still signs in")
		}

		// From the notice, the button replaces the set there is now.
		clock.Advance(time.Second)
		again := b.submit(notice, newBackupCodesForm, nil)
		if codes := shownBackupCodes(again); again.Status != http.StatusOK || len(codes) != 10 {
			t.Fatalf("pressed from the notice: %d with %d codes:\n%s", again.Status, len(codes), again.text())
		} else if !backupCodeSignsIn(t, p, codes[0]) {
			t.Errorf("a code made from the notice does not sign in")
		}
	})
}
