package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

func sessionStatus(t *testing.T, p *portaltest.Portal, sid string) string {
	t.Helper()
	s, err := p.Store.Q.SessionByID(context.Background(), sid)
	if err != nil {
		t.Fatalf("session %s: %v", sid, err)
	}
	return s.Status
}

// REQ-SES-02: every sign-in starts a new session and ends the browser's
// previous one; sessions of other browsers are left alone.
func TestEverySignInStartsANewSession_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	other := newBrowser(t, p)
	elsewhere, _ := verify(t, p, wantHandBack(t, signUp(t, p, other, "ada@example.com", appURL), http.StatusSeeOther, appURL))

	b := newBrowser(t, p)
	first, _ := verify(t, p, wantHandBack(t, signIn(t, b, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))

	// Signed in, the sign-in page hands straight back, so a second sign-in
	// posts the identifier form directly, as a stale tab would.
	step := b.follow(b.postForm(http.MethodPost, "/sign-in",
		url.Values{"_csrf": {b.csrf()}, "identifier": {"ada@example.com"}, "redirect_url": {appURL}}, nil))
	second, _ := verify(t, p, wantHandBack(t, b.submit(step, passwordForm, map[string]string{"password": goodPassword}),
		http.StatusSeeOther, appURL))

	if second.SID == first.SID || second.SID == elsewhere.SID {
		t.Fatalf("second sign-in reused session %s", second.SID)
	}
	for sid, want := range map[string]string{first.SID: session.Ended, second.SID: session.Active, elsewhere.SID: session.Active} {
		if got := sessionStatus(t, p, sid); got != want {
			t.Errorf("session %s: %s, want %s", sid, got, want)
		}
	}
	// The handshake serves the new session, never the old.
	if c, _ := verify(t, p, wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); c.SID != second.SID {
		t.Errorf("handshake sid %s, want %s", c.SID, second.SID)
	}
}

// DESIGN "Webhooks": sign-up and sign-out leave their events in the outbox.
func TestSignUpAndSignOutEvents(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ctx := context.Background()
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))

	evs, err := p.Store.Q.EventsAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	has := func(typ, object string) bool {
		return slices.ContainsFunc(evs, func(e events.Event) bool { return e.Type == typ && e.ObjectID == object })
	}
	if !has(events.UserCreated, c.Subject) {
		t.Errorf("no %s for %s in %v", events.UserCreated, c.Subject, types(evs))
	}
	if !has(events.SessionCreated, c.SID) {
		t.Errorf("no %s for %s in %v", events.SessionCreated, c.SID, types(evs))
	}
	if !slices.ContainsFunc(evs, func(e events.Event) bool {
		var m struct {
			To string `json:"to_email_address"`
		}
		return e.Type == events.EmailCreated && json.Unmarshal(e.Data, &m) == nil && m.To == "ada@example.com"
	}) {
		t.Errorf("no %s to ada@example.com in %v", events.EmailCreated, types(evs))
	}

	b.submit(b.get("/sign-out"), signOutForm, nil)
	ofSession, err := p.Store.Q.EventsOfObject(ctx, c.SID)
	if err != nil {
		t.Fatal(err)
	}
	if got := types(ofSession); !slices.Equal(got, []string{events.SessionCreated, events.SessionEnded}) {
		t.Errorf("events of the session: %v, want created then ended", got)
	}
}

func types(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// GET /sign-out in a browser nobody is signed in on says so in the tab's
// title too (the title is what a screen reader announces first), not
// "Sign out" over a page that has nothing to sign out of; its Sign in link
// keeps the app to return to, and a link leads back to that app. Signed in,
// the page has a way back.
func TestSignOutPageTitleWhenSignedOut(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	pg := b.get(withRedirect("/sign-out", appURL))
	wantText(t, "/sign-out signed out", pg, http.StatusOK, "You're signed out")
	if got := pg.Doc.Find("title").Text(); got != "You're signed out · Portal" {
		t.Errorf("title %q, want %q", got, "You're signed out · Portal")
	}
	if href := pg.Doc.Find(`a:contains("Sign in")`).AttrOr("href", ""); href != withRedirect("/sign-in", appURL) {
		t.Errorf("Sign in goes to %q, want %q", href, withRedirect("/sign-in", appURL))
	}
	// Opened from an app's own "Sign out" link when already signed out,
	// the page leads back to that app, not only to signing in again.
	if href := pg.Doc.Find(`a:contains("Back to Portal")`).AttrOr("href", ""); href != appURL {
		t.Errorf("Back to Portal goes to %q, want %q", href, appURL)
	}
	if n := b.get("/sign-out").Doc.Find(`a:contains("Back to")`).Length(); n != 0 {
		t.Errorf("opened with no app to return to, the page has %d Back links, want none", n)
	}

	signUp(t, p, b, "ada@example.com", "")
	pg = b.get("/sign-out")
	if got := pg.Doc.Find("title").Text(); got != "Sign out · Portal" || pg.Doc.Find(signOutForm).Length() != 1 {
		t.Errorf("signed in: title %q and %d sign-out forms, want %q and one", got, pg.Doc.Find(signOutForm).Length(), "Sign out · Portal")
	}
	// Changing one's mind: "Cancel" goes back, still signed in, to the
	// app the page was opened from, else to the portal's home.
	for from, want := range map[string]string{"/sign-out": "/", withRedirect("/sign-out", appURL): appURL} {
		cancel := b.get(from).Doc.Find(`a:contains("Cancel")`)
		if href := cancel.AttrOr("href", ""); cancel.Length() != 1 || href != want {
			t.Errorf("%s: %d Cancel links to %q, want one to %q", from, cancel.Length(), href, want)
		}
	}
	if !signedIn(t, b) {
		t.Error("looking at the sign-out page signed the person out")
	}
}
