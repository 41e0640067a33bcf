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
// from the link minutes before: the form sent then makes no account and
// offers the waitlist (TestRejectedInviteeCannotFinishTheCodeStep
// has the rejection land while a code is awaited).
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

	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+entry.ID+"/reject", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	// Without a live invitation, a waitlist instance's sign-up is its
	// waitlist form.
	refused := bob.submit(form, signUpForm, map[string]string{"password": goodPassword})
	wantText(t, "the form sent after the rejection", refused, http.StatusOK, "Join the waitlist")
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

// The same when the rejection lands while the sign-up waits for a code:
// here the number's (the link vouched for the address), which then makes
// no account.
func TestRejectedInviteeCannotFinishTheCodeStep(t *testing.T) {
	p, _, tw := startTwilio(t, map[string]string{"PORTAL_SIGN_UP_MODE": "waitlist", "PORTAL_IDENTIFIERS": "email,phone",
		"PORTAL_SIGN_UP_REQUIRED": "email_address,phone_number,password"})
	var entry waitlistEntryJSON
	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries", map[string]any{"email_address": "bob@example.com",
		"notify": false}, &entry); r.Status != http.StatusOK {
		t.Fatalf("create entry: %d %s", r.Status, r.Body)
	}
	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+entry.ID+"/invite", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	bob := newBrowser(t, p)
	form := bob.get(p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link())
	verifyPage := bob.submit(form, signUpForm, map[string]string{"phone_number": "+1 415 555 0100", "password": goodPassword})
	wantText(t, "the sign-up form", verifyPage, http.StatusOK, "Verify your phone number")

	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+entry.ID+"/reject", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	refused := bob.submit(verifyPage, phoneVerifyForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()})
	wantText(t, "the code after the rejection", refused, http.StatusForbidden, invitationOnly)
	if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "bob@example.com"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the rejected invitee got an account on a waitlist instance (err %v)", err)
	}
}
