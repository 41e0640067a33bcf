package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// Form selectors of the account pages.
const (
	profileForm        = `form[action="/user/profile"]`
	imageForm          = `form[action="/user/profile-image"]`
	reverifyForm       = `form[action="/user/verify"]`
	reverifyPrepare    = `form[action="/user/verify/prepare"]`
	addEmailForm       = `form[action="/user/email-addresses"]`
	identifierCodeForm = `form[action="/user/verify-identifier"]`
	identifierSendForm = `form[action="/user/verify-identifier/send"]`
	passwordPageForm   = `form[action="/user/password"]`
	deletePageForm     = `form[action="/user/delete"]`
	linkVerifyForm     = `form[action="/user/verify-email"]`
)

// confirmForm is the one form of a confirmation page (make primary, remove).
func confirmForm(pg *page) string {
	return `form[action="` + pg.URL.Path + `"]`
}

// addEmail adds address to b's account through the forms and its emailed
// code, and returns the account page it lands on.
func addEmail(t *testing.T, p *portaltest.Portal, b *browser, address string) *page {
	t.Helper()
	pg := b.submit(b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": address})
	wantText(t, "after adding "+address, pg, http.StatusOK, "Verify your email address", strings.ToLower(address))
	code := p.SMTP.WaitFor(t, address, mailWait).Code()
	return b.submit(pg, identifierCodeForm, map[string]string{"code": code})
}

// identifierID returns the ID of u's identifier value.
func identifierID(t *testing.T, u *user.User, value string) string {
	t.Helper()
	for _, i := range u.Identifiers {
		if i.Value == value {
			return i.ID
		}
	}
	t.Fatalf("user %s has no identifier %s: %+v", u.ID, value, u.Identifiers)
	return ""
}

func userByID(t *testing.T, p *portaltest.Portal, id string) *user.User {
	t.Helper()
	u, err := p.Store.Q.UserByID(context.Background(), id)
	if err != nil {
		t.Fatalf("user %s: %v", id, err)
	}
	return u
}

// upload posts a multipart form like the profile image form does: the CSRF
// field, then a file part.
func (b *browser) upload(path, filename string, data []byte) *page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("_csrf", b.csrf()); err != nil {
		b.t.Fatal(err)
	}
	part, err := w.CreateFormFile("image", filename)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := part.Write(data); err != nil {
		b.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.abs(path).String(), &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.follow(b.send(req))
}

// post sends form with the browser's CSRF token, following nothing.
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.csrf())
	return b.postForm(http.MethodPost, path, form, nil)
}

// wantReverify checks pg sends the browser to /user/verify, to return to back.
func wantReverify(t *testing.T, what string, pg *page, back string) {
	t.Helper()
	want := "/user/verify?return=" + url.QueryEscape(back)
	if pg.Status != http.StatusSeeOther || pg.Header.Get("Location") != want {
		t.Errorf("%s: %d to %q, want 303 to %q", what, pg.Status, pg.Header.Get("Location"), want)
	}
}

// messageFor is the message shown next to a form field.
func messageFor(pg *page, name string) string {
	return strings.TrimSpace(pg.Doc.Find("#" + name + "-error").Text())
}

// eventsOf lists the types of the events about objectID, oldest first.
func eventsOf(t *testing.T, p *portaltest.Portal, objectID string) []events.Event {
	t.Helper()
	evs, err := p.Store.Q.EventsOfObject(context.Background(), objectID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// lastUser decodes the newest user.updated about userID.
func lastUser(t *testing.T, p *portaltest.Portal, userID string) user.Object {
	t.Helper()
	evs := eventsOf(t, p, userID)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == events.UserUpdated {
			var o user.Object
			if err := json.Unmarshal(evs[i].Data, &o); err != nil {
				t.Fatal(err)
			}
			return o
		}
	}
	t.Fatalf("no %s about %s", events.UserUpdated, userID)
	return user.Object{}
}

// countEvents counts the events of typ about objectID.
func countEvents(t *testing.T, p *portaltest.Portal, objectID, typ string) int {
	t.Helper()
	n := 0
	for _, e := range eventsOf(t, p, objectID) {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// signedOutAtHandshake checks that a browser's next token refresh finds it
// signed out: the app cookies cleared, no fresh token.
func signedOutAtHandshake(t *testing.T, what string, b *browser) {
	t.Helper()
	pg := b.getRaw(handshakePath(appURL))
	if pg.Status != http.StatusTemporaryRedirect {
		t.Fatalf("%s: handshake status %d", what, pg.Status)
	}
	if c := pg.setCookie("__client_uat"); c == nil || c.Value != "0" {
		t.Errorf("%s: handshake did not say signed out (__client_uat %v)", what, c)
	}
	if c := pg.setCookie("__session"); c != nil && c.Value != "" {
		t.Errorf("%s: handshake minted a token", what)
	}
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
