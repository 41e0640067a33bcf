package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// A bulk request refused for one invitation's redirect_url names that
// invitation, as every other refusal of a bulk request does.
func TestBulkRedirectRefusalNamesTheInvitation(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	r := api(t, p, http.MethodPost, "/v1/invitations/bulk", []map[string]any{
		{"email_address": "a@example.com"},
		{"email_address": "b@example.com", "redirect_url": "https://evil.example/x"},
	}, nil)
	e := wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_format_invalid")
	if len(e.Errors) == 0 || !strings.Contains(e.Errors[0].LongMessage+e.Errors[0].Message, "Invitation 2 of 2") {
		t.Errorf("refusal does not name the invitation at fault: %s", r.Body)
	}
}

// Waitlist mode: rejecting an entry also stops a sign-up its person began
// from the link minutes before: entering the emailed code then makes no
// account and says sign-up is by invitation only.
func TestRejectedInviteeCannotFinishSigningUp(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "waitlist"}})
	var entry waitlistEntryJSON
	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries", map[string]any{"email_address": "bob@example.com",
		"notify": false}, &entry); r.Status != http.StatusOK {
		t.Fatalf("create entry: %d %s", r.Status, r.Body)
	}
	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+entry.ID+"/invite", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	link := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link()
	bob := newBrowser(t, p)
	form := bob.get(link)
	verifyPage := bob.submit(form, signUpForm, map[string]string{"password": goodPassword})
	code := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Code()

	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+entry.ID+"/reject", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	refused := bob.submit(verifyPage, verifyForm, map[string]string{"code": code})
	wantText(t, "the code after the rejection", refused, http.StatusForbidden, invitationOnly)
	if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "bob@example.com"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the rejected invitee got an account on a waitlist instance (err %v)", err)
	}
}

// Waitlist mode: a stranger's provider sign-up is refused with a way to the
// waiting list, and nothing is made.
func TestWaitlistProviderRefusalPointsToTheWaitlist(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "waitlist"}})
	stranger := newBrowser(t, p)
	op.SetUser("corp-eve", "eve@example.com", true, "Eve", "E")
	before := count(t, p)
	pg := viaProvider(t, stranger, providerButton(t, stranger.get(withRedirect("/sign-in", appURL)), corp))
	wantText(t, "a stranger's provider sign-up", pg, http.StatusForbidden, invitationOnly)
	if pg.Doc.Find(`a[href^="/waitlist"]`).Length() != 1 {
		t.Errorf("the refusal does not point to the waitlist:\n%s", pg.text())
	}
	if n := count(t, p); n != before || stranger.cookie("__session") != "" {
		t.Errorf("the refusal made %+v (before %+v) or a session", n, before)
	}
}
