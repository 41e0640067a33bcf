package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A sign-in link opened again after it signed this browser in (in another
// tab, by a second press, from the email later) or once it expired does
// not ask a signed-in person for a new link: the page says they are signed
// in, as whom, and goes on to the app the link was for, or to their
// account. Signed out, the spent link still explains itself and offers a
// new one.
func TestSpentLinkWhileSignedInGoesOn(t *testing.T) {
	p, clock, b, _, link := startLink(t, linkEnv)
	confirm := b.get(link)
	wantHandBack(t, b.submit(confirm, linkConfirmForm, nil), http.StatusSeeOther, appURL)

	cont := "/sign-in?" + url.Values{"redirect_url": {appURL}}.Encode()
	signedInPage := func(what string, pg *page) {
		t.Helper()
		wantText(t, what, pg, http.StatusOK, "You're already signed in",
			"This link can't be used again, and you don't need it: you're signed in as ada@example.com.")
		if strings.Contains(pg.text(), "Ask for a new link") {
			t.Errorf("%s: asks for a new link:\n%s", what, pg.text())
		}
		if got := pg.Doc.Find("a.cl-formButtonPrimary").AttrOr("href", ""); got != cont {
			t.Errorf("%s: Continue leads to %q, want %q", what, got, cont)
		}
		if pg.Doc.Find(`a[href="/user"]`).Length() != 1 {
			t.Errorf("%s: no way to the account:\n%s", what, pg.Body)
		}
		noSession(t, what, pg)
	}
	signedInPage("the used link opened again", b.get(link))
	signedInPage("the used link's button pressed again", b.submit(confirm, linkConfirmForm, nil))
	// Continue: sign-in hands a signed-in browser straight back to the app.
	wantHandBack(t, b.getRaw(cont), http.StatusSeeOther, appURL)

	out := newBrowser(t, p)
	used := out.get(link)
	wantText(t, "the used link, signed out", used, http.StatusGone, "already used")
	askForNewLink(t, "the used link, signed out", used)

	// A link asked for elsewhere and left to expire, opened here.
	clock.Advance(31 * time.Second) // past the wait before another email
	before := len(mailTo(p.SMTP, "ada@example.com"))
	wait := out.submit(out.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	wantText(t, "the second link asked for", wait, http.StatusOK, "Waiting for you to open the link")
	late := waitMail(t, p, "ada@example.com", before).Link()
	clock.Advance(11 * time.Minute)
	signedInPage("an expired link", b.get(late))
	expired := out.get(late)
	wantText(t, "the expired link, signed out", expired, http.StatusGone, "expired")
	askForNewLink(t, "the expired link, signed out", expired)
}
