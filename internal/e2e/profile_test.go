package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// An email address is added by its code, made primary (the old address is
// told, REQ-PW-07), and the old one removed; each change writes
// user.updated. The account page links back to the app it was opened from.
func TestEmailAddressLifecycle(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))

	pg := b.get("/user?redirect_url=" + url.QueryEscape(appURL))
	wantText(t, "/user", pg, http.StatusOK, "Your account", "ada@example.com", "Primary")
	if href, _ := pg.Doc.Find(`footer a`).Attr("href"); href != appURL {
		t.Errorf("back link = %q, want %q", href, appURL)
	}
	if pg = b.get("/user?redirect_url=" + url.QueryEscape("https://evil.example/")); pg.Status != http.StatusBadRequest {
		t.Errorf("/user with a foreign redirect_url: status %d, want 400", pg.Status)
	}

	pg = addEmail(t, p, b, "Ada@Work.example")
	wantText(t, "after verifying the code", pg, http.StatusOK, "The email address is verified", "ada@work.example")
	if href, _ := pg.Doc.Find(`footer a`).Attr("href"); href != appURL {
		t.Errorf("back link after a change = %q, want %q", href, appURL)
	}
	ada := wantVerified(t, p, user.Email, "ada@work.example")
	if o := lastUser(t, p, c.Subject); len(o.EmailAddresses) != 2 {
		t.Errorf("user.updated lists %d email addresses, want 2", len(o.EmailAddresses))
	}

	work, old := identifierID(t, ada, "ada@work.example"), identifierID(t, ada, "ada@example.com")
	pg = b.get("/user/email-addresses/" + work + "/primary")
	wantText(t, "make primary", pg, http.StatusOK, "Make ada@work.example primary?", "ada@example.com")
	pg = b.submit(pg, confirmForm(pg), nil)
	wantText(t, "after making primary", pg, http.StatusOK, "Your primary email address is changed.")
	if got := userByID(t, p, c.Subject).PrimaryEmailID; got != work {
		t.Errorf("primary email = %s, want %s", got, work)
	}
	if o := lastUser(t, p, c.Subject); o.PrimaryEmailAddressID == nil || *o.PrimaryEmailAddressID != work {
		t.Errorf("user.updated primary_email_address_id = %v, want %s", o.PrimaryEmailAddressID, work)
	}
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	if !strings.Contains(m.Subject, "email address was changed") || !strings.Contains(m.Text, "ada@work.example") {
		t.Errorf("notice to the old address: %q\n%s", m.Subject, m.Text)
	}

	pg = b.get("/user/email-addresses/" + old + "/remove")
	pg = b.submit(pg, confirmForm(pg), nil)
	wantText(t, "after removing", pg, http.StatusOK, "It is removed from your account.")
	if _, err := p.Store.Q.UserByIdentifier(t.Context(), user.Email, "ada@example.com"); err == nil {
		t.Error("the removed address still belongs to an account")
	}
	if o := lastUser(t, p, c.Subject); len(o.EmailAddresses) != 1 {
		t.Errorf("user.updated lists %d email addresses after removal, want 1", len(o.EmailAddresses))
	}
	// The freed address signs nobody in, and can be anyone's now.
	signUp(t, p, newBrowser(t, p), "ada@example.com", appURL)
	// The new primary address signs in.
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@work.example", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// Adding an address that is someone else's looks the same until its code
// comes back, and then it is refused: a typed address is nobody's until
// verified, so typing it neither blocks its owner nor reveals the account.
func TestAddingSomeoneElsesAddress(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "grace@example.com", "")
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")

	pg := b.submit(b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "grace@example.com"})
	wantText(t, "adding grace's address", pg, http.StatusOK, "Verify your email address", "grace@example.com")
	again := b.submit(b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "nobody@example.com"})
	if normalise(pg.Body, "grace@example.com") != normalise(strings.ReplaceAll(again.Body, again.URL.Query().Get("flow"), pg.URL.Query().Get("flow")), "nobody@example.com") {
		t.Error("adding an address of an account looks different from adding a free one")
	}
	code := p.SMTP.WaitFor(t, "grace@example.com", mailWait).Code()
	pg = b.submit(pg, identifierCodeForm, map[string]string{"code": code})
	wantText(t, "grace's code", pg, http.StatusConflict, "belongs to another account")
	if u := wantVerified(t, p, user.Email, "grace@example.com"); u.Has(user.Email, "ada@example.com") {
		t.Error("grace's account changed")
	}
}

// An emailed link adds the address only in the browser that asked for it:
// a person tricked into opening a link for an address someone else typed
// must not attach it to that someone's account.
func TestEmailLinkAddsOnlyInTheBrowserThatAsked(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	pg := b.submit(b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "ada@home.example"})
	pg = b.submit(pg, identifierSendForm, map[string]string{"strategy": "email_link"})
	wantText(t, "after asking for a link", pg, http.StatusOK, "We sent a link")
	link := p.SMTP.WaitFor(t, "ada@home.example", mailWait).Link()
	if !strings.HasPrefix(link, p.URL+"/user/verify-email?token=") {
		t.Fatalf("link %q", link)
	}

	for name, other := range map[string]*browser{"signed out": newBrowser(t, p), "another account": func() *browser {
		o := newBrowser(t, p)
		signUp(t, p, o, "mallory@example.com", "")
		return o
	}()} {
		wantText(t, name, other.get(link), http.StatusForbidden, "Open this link in the browser where you added the address")
	}
	if u := userByEmail(t, p, "ada@example.com"); u.Has(user.Email, "ada@home.example") {
		t.Fatal("the address was added from another browser")
	}

	pg = b.get(link)
	wantText(t, "the link in the right browser", pg, http.StatusOK, "Verify your email address")
	pg = b.submit(pg, linkVerifyForm, nil)
	wantText(t, "after confirming", pg, http.StatusOK, "The email address is verified")
	wantVerified(t, p, user.Email, "ada@home.example")
	wantText(t, "the link again", b.get(link), http.StatusGone, "already used")
}

// The profile form changes names and username, keeps what was typed when a
// field is wrong, and writes user.updated.
func TestProfileNamesAndUsername(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,username"}})
	signUpNamed := func(b *browser, email, username string) claims {
		pg := signUpWith(b, map[string]string{"email_address": email, "username": username, "password": goodPassword}, appURL)
		pg = b.submit(pg, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, email, mailWait).Code()})
		c, _ := verify(t, p, wantHandBack(t, pg, http.StatusSeeOther, appURL))
		return c
	}
	signUpNamed(newBrowser(t, p), "grace@example.com", "grace")
	b := newBrowser(t, p)
	c := signUpNamed(b, "ada@example.com", "adalove")

	pg := b.submit(b.get("/user"), profileForm, map[string]string{"first_name": "Ada", "last_name": "King", "username": "countess"})
	wantText(t, "after saving", pg, http.StatusOK, "Your profile is saved.")
	u := userByID(t, p, c.Subject)
	if u.FirstName != "Ada" || u.LastName != "King" || u.Username() != "countess" {
		t.Errorf("user = %q %q %q", u.FirstName, u.LastName, u.Username())
	}
	if o := lastUser(t, p, c.Subject); o.Username == nil || *o.Username != "countess" || *o.LastName != "King" {
		t.Errorf("user.updated = %+v", o)
	}

	pg = b.submit(pg, profileForm, map[string]string{"first_name": "Ada\x07", "last_name": "Byron", "username": "Grace"})
	if pg.Status != http.StatusUnprocessableEntity || messageFor(pg, "first_name") == "" {
		t.Fatalf("bad name: status %d, first_name error %q", pg.Status, messageFor(pg, "first_name"))
	}
	if v, _ := pg.Doc.Find("#last_name-field").Attr("value"); v != "Byron" {
		t.Errorf("the typed last name was not kept: %q", v)
	}
	pg = b.submit(pg, profileForm, map[string]string{"first_name": "Ada", "last_name": "Byron", "username": "Grace"})
	if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(messageFor(pg, "username"), "taken") {
		t.Fatalf("taken username: status %d, error %q", pg.Status, messageFor(pg, "username"))
	}
	if u := userByID(t, p, c.Subject); u.LastName != "King" || u.Username() != "countess" {
		t.Errorf("a refused form changed the user: %q %q", u.LastName, u.Username())
	}
	if n := countEvents(t, p, c.Subject, events.UserUpdated); n != 1 {
		t.Errorf("%d user.updated events, want 1 (refused forms write none)", n)
	}
}
