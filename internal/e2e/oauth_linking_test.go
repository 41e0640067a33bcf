package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

const linkRequired = "An account with this email address already exists. Sign in to it another way first, then connect this account from your profile."

// signInWithCorp signs in through corp from the sign-in page, in a fresh
// browser, and returns the response to the callback.
func signInWithCorp(t *testing.T, p *portaltest.Portal) (*browser, *page) {
	t.Helper()
	b := newBrowser(t, p)
	return b, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp))
}

// signedInAs checks a hand-back to the app whose token names userID.
func signedInAs(t *testing.T, p *portaltest.Portal, pg *page, userID string) {
	t.Helper()
	tok := wantHandBack(t, pg, http.StatusSeeOther, appURL) // REQ-OA-07: 303
	if c, _ := verify(t, p, tok); c.Subject != userID {
		t.Fatalf("signed in as %s, want %s", c.Subject, userID)
	}
}

// linkedTo returns the user the provider account is connected to, "" if none.
func linkedTo(t *testing.T, p *portaltest.Portal, subject string) string {
	t.Helper()
	x, err := p.Store.Q.ExternalAccount(context.Background(), corp, subject)
	if errors.Is(err, apperr.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return x.UserID
}

// An email address links a provider account to an existing user only when
// the provider says it verified it and the user verified it here
// (REQ-OA-05); otherwise the person is told to sign in and connect, and
// nothing is linked or started.
func TestOAuthLinksOnlyVerifiedEmails(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{})
	ctx := context.Background()

	t.Run("both verified: linked and signed in", func(t *testing.T) {
		signUp(t, p, newBrowser(t, p), "ada@example.com", appURL)
		ada := userByEmail(t, p, "ada@example.com")
		op.SetUser("corp-ada", "Ada@Example.com", true, "Ada", "Lovelace")
		_, pg := signInWithCorp(t, p)
		signedInAs(t, p, pg, ada.ID)
		if got := linkedTo(t, p, "corp-ada"); got != ada.ID {
			t.Errorf("corp-ada is linked to %q, want %s", got, ada.ID)
		}
		if u := userByEmail(t, p, "ada@example.com"); len(u.ExternalAccounts) != 1 {
			t.Errorf("ada has external accounts %+v, want corp-ada", u.ExternalAccounts)
		}
		if o := lastUserObject(t, p, ada.ID, events.UserUpdated); !hasExternal(o, corp, "corp-ada") {
			t.Errorf("user.updated lists external accounts %+v, want corp-ada", o.ExternalAccounts)
		}
	})

	t.Run("provider did not verify the email", func(t *testing.T) {
		signUp(t, p, newBrowser(t, p), "bob@example.com", appURL)
		op.SetUser("corp-bob", "bob@example.com", false, "Bob", "B")
		before := count(t, p)
		b, pg := signInWithCorp(t, p)
		wantOAuthRefused(t, p, pg, before, http.StatusConflict, didntWork)
		if !strings.Contains(pg.text(), linkRequired) {
			t.Errorf("the page does not say how to link:\n%s", pg.text())
		}
		if b.cookie("__session") != "" || linkedTo(t, p, "corp-bob") != "" {
			t.Errorf("refused, yet the browser has a session or corp-bob was linked")
		}
	})

	// Sign-up always verifies the address, so such a user is made directly.
	t.Run("user did not verify the email", func(t *testing.T) {
		now := time.Now()
		carol := &user.User{ID: id.New(id.User), FirstName: "Carol", CreatedAt: now, UpdatedAt: now}
		carol.Identifiers = []user.Identifier{{ID: id.New(id.Identifier), UserID: carol.ID, Kind: user.Email,
			Value: "carol@example.com", CreatedAt: now, UpdatedAt: now}}
		carol.PrimaryEmailID = carol.Identifiers[0].ID
		if err := p.Store.Q.CreateUser(ctx, carol); err != nil {
			t.Fatal(err)
		}
		op.SetUser("corp-carol", "carol@example.com", true, "Carol", "C")
		before := count(t, p)
		b, pg := signInWithCorp(t, p)
		wantOAuthRefused(t, p, pg, before, http.StatusConflict, didntWork)
		if !strings.Contains(pg.text(), linkRequired) {
			t.Errorf("the page does not say how to link:\n%s", pg.text())
		}
		if b.cookie("__session") != "" || linkedTo(t, p, "corp-carol") != "" {
			t.Errorf("refused, yet the browser has a session or corp-carol was linked")
		}
	})
}

// A provider account is one (provider, subject) and belongs to one user
// (REQ-OA-04): another user cannot connect it, and it always signs in its
// owner, whatever email it later carries.
func TestOAuthAccountCannotBeTakenOver(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{})

	op.SetUser("corp-x", "x@example.com", true, "Xavier", "X")
	_, pg := signInWithCorp(t, p)
	x := userByEmail(t, p, "x@example.com")
	signedInAs(t, p, pg, x.ID)

	yb := newBrowser(t, p)
	signUp(t, p, yb, "y@example.com", appURL)
	profile := yb.get("/user")
	if profile.Status != http.StatusOK {
		t.Fatalf("/user: status %d:\n%s", profile.Status, profile.text())
	}
	before := count(t, p)
	refused := viaProvider(t, yb, providerButton(t, profile, corp))
	if refused.Status != http.StatusConflict || !strings.Contains(refused.text(), "already connected to another user") ||
		refused.Doc.Find("h1").Text() != "Connecting "+corpDisplay+" didn't work" {
		t.Errorf("connecting x's account as y: status %d:\n%s", refused.Status, refused.text())
	}
	if href, _ := refused.Doc.Find(`a[href="/user"]`).Attr("href"); href == "" {
		t.Errorf("no way back to the account page:\n%s", refused.text())
	}
	if c := refused.setCookie("__session"); c != nil || count(t, p) != before {
		t.Errorf("a refused connect started a session")
	}
	if got := linkedTo(t, p, "corp-x"); got != x.ID {
		t.Errorf("corp-x is linked to %q, want x (%s)", got, x.ID)
	}

	// The provider now says the account's address is y's, verified.
	op.SetUser("corp-x", "y@example.com", true, "Xavier", "X")
	_, pg = signInWithCorp(t, p)
	signedInAs(t, p, pg, x.ID)
	if u := userByEmail(t, p, "y@example.com"); len(u.ExternalAccounts) != 0 {
		t.Errorf("y gained external accounts %+v", u.ExternalAccounts)
	}

	// Another account at the same provider with x's verified address is
	// x's second way in (REQ-OA-05: verified on both sides).
	op.SetUser("corp-x2", "x@example.com", true, "Xavier", "X")
	_, pg = signInWithCorp(t, p)
	signedInAs(t, p, pg, x.ID)
	if u := userByEmail(t, p, "x@example.com"); len(u.ExternalAccounts) != 2 {
		t.Errorf("x has external accounts %+v, want corp-x and corp-x2", u.ExternalAccounts)
	}
	if got := linkedTo(t, p, "corp-x"); got != x.ID {
		t.Errorf("corp-x is linked to %q, want x (%s)", got, x.ID)
	}
}

// A signed-in user connects a provider account from /user, with any email
// status (being signed in to both proves both), then disconnects it, and
// each is said to be done.
func TestOAuthConnectThenDisconnect(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "dana@example.com", appURL)
	dana := userByEmail(t, p, "dana@example.com")

	op.SetUser("corp-dana", "dana.other@corp.example", false, "Dana", "D")
	pg := viaProvider(t, b, providerButton(t, b.get("/user"), corp))
	if pg.Status != http.StatusOK || !strings.Contains(pg.text(), "Your "+corpDisplay+" account is connected.") {
		t.Fatalf("after connecting: status %d:\n%s", pg.Status, pg.text())
	}
	if got := linkedTo(t, p, "corp-dana"); got != dana.ID {
		t.Fatalf("corp-dana is linked to %q, want %s", got, dana.ID)
	}
	if o := lastUserObject(t, p, dana.ID, events.UserUpdated); !hasExternal(o, corp, "corp-dana") {
		t.Errorf("user.updated lists %+v, want corp-dana", o.ExternalAccounts)
	}

	// Disconnect on /user opens a page that asks first, as removing an
	// address does: nothing is cut until its button is pressed.
	pg = b.get(disconnectLink(t, pg))
	wantText(t, "the Disconnect link", pg, http.StatusOK, "Disconnect "+corpDisplay+"?", "dana.other@corp.example")
	if got := linkedTo(t, p, "corp-dana"); got != dana.ID {
		t.Fatalf("disconnected by opening the confirmation page (corp-dana linked to %q)", got)
	}
	pg = b.submit(pg, confirmForm(pg), nil)
	if pg.Status != http.StatusOK || pg.URL.Path != "/user" {
		t.Fatalf("disconnect: status %d at %s:\n%s", pg.Status, pg.URL, pg.text())
	}
	if !strings.Contains(pg.text(), "The account is disconnected.") {
		t.Errorf("after disconnecting, /user does not say it is done:\n%s", pg.text())
	}
	if got := linkedTo(t, p, "corp-dana"); got != "" {
		t.Errorf("corp-dana is still linked to %s", got)
	}
	if o := lastUserObject(t, p, dana.ID, events.UserUpdated); hasExternal(o, corp, "corp-dana") {
		t.Errorf("the last user.updated still lists corp-dana")
	}
	if pg.Doc.Find(`a.cl-socialButtonsBlockButton__`+corp).Length() != 1 {
		t.Errorf("after disconnecting, /user does not offer to connect again:\n%s", pg.text())
	}

	// A connect started by dana and finished after someone else signed in
	// to this browser does not go to that someone.
	cb, _ := toCallback(t, b, providerButton(t, pg, corp))
	b.submit(b.get("/sign-out"), signOutForm, nil)
	signUp(t, p, b, "gus@example.com", appURL)
	pg = b.getRaw(cb.String())
	if pg.Status != http.StatusBadRequest || linkedTo(t, p, "corp-dana") != "" {
		t.Errorf("a connect finished by another user: status %d, corp-dana linked to %q (gus is %s):\n%s",
			pg.Status, linkedTo(t, p, "corp-dana"), userByEmail(t, p, "gus@example.com").ID, pg.text())
	}
}

// Connecting or disconnecting a provider account adds or removes a way in,
// so it asks the person to confirm it is them when their last proof is
// older than the reverification window, as a passkey does (REQ-SES-06);
// once confirmed, the connect goes on to the provider by itself.
func TestOAuthConnectAndDisconnectAskToConfirm_REQ_SES_06(t *testing.T) {
	op := oidctest.Start(t)
	p, clock := startFake(t, portaltest.Options{Env: withOIDC(map[string]string{}, "corp", corpDisplay, op)})
	b := newBrowser(t, p)
	signUp(t, p, b, "dana@example.com", appURL)
	dana := userByEmail(t, p, "dana@example.com")
	op.SetUser("corp-dana", "dana@corp.example", true, "Dana", "D")

	clock.Advance(11 * time.Minute)
	start := providerButton(t, b.get("/user"), corp)
	wantReverify(t, "connect", b.getRaw(start), start)
	if got := linkedTo(t, p, "corp-dana"); got != "" {
		t.Fatalf("connected without confirming: %s", got)
	}
	pg := b.get(start)
	pg = b.send(b.request(http.MethodPost, "/user/verify", url.Values{"_csrf": {b.csrf()}, "strategy": {"password"},
		"password": {goodPassword}, "return": {pg.URL.Query().Get("return")}}))
	if loc := pg.Header.Get("Location"); pg.Status != http.StatusSeeOther || loc != start {
		t.Fatalf("after confirming: %d to %q, want back to %s", pg.Status, loc, start)
	}
	pg = viaProvider(t, b, start)
	if got := linkedTo(t, p, "corp-dana"); got != dana.ID || !strings.Contains(pg.text(), "Your "+corpDisplay+" account is connected.") {
		t.Fatalf("after confirming and the provider: corp-dana linked to %q:\n%s", got, pg.text())
	}

	clock.Advance(11 * time.Minute)
	action := disconnectLink(t, b.get("/user"))
	wantReverify(t, "disconnect", b.getRaw(action), action)
	wantReverify(t, "disconnect by a form posted from an old page", b.post(action, nil), action)
	if got := linkedTo(t, p, "corp-dana"); got != dana.ID {
		t.Errorf("disconnected without confirming")
	}
	// Once confirmed, a page asks for the press, which disconnects.
	pg = b.submit(b.get(action), reverifyForm, map[string]string{"password": goodPassword})
	wantText(t, "after confirming", pg, http.StatusOK, "Disconnect "+corpDisplay)
	if got := linkedTo(t, p, "corp-dana"); got != dana.ID {
		t.Errorf("disconnected before the press on the confirmation page")
	}
	b.submit(pg, confirmForm(pg), nil)
	if got := linkedTo(t, p, "corp-dana"); got != "" {
		t.Errorf("after confirming and pressing: corp-dana still linked to %s", got)
	}
}

// disconnectLink is the href of the one Disconnect link on the account page.
func disconnectLink(t *testing.T, pg *page) string {
	t.Helper()
	href, ok := pg.Doc.Find(`a[href^="/user/external-accounts/"]`).Attr("href")
	if !ok {
		t.Fatalf("no Disconnect link on %s:\n%s", pg.URL, pg.text())
	}
	return href
}

// With passwords the only factor, an account made through a provider has no
// other way in, so disconnecting the provider is refused and it stays.
func TestOAuthCannotDisconnectLastWayIn(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "password"}})
	op.SetUser("corp-erin", "erin@example.com", true, "Erin", "E")
	b, pg := signInWithCorp(t, p)
	erin := userByEmail(t, p, "erin@example.com")
	signedInAs(t, p, pg, erin.ID)
	if erin.PasswordHash != "" {
		t.Fatal("an account made through a provider got a password")
	}

	pg = b.get(disconnectLink(t, b.get("/user")))
	pg = b.submit(pg, confirmForm(pg), nil)
	if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(pg.text(), "You can't disconnect your only way to sign in") {
		t.Errorf("disconnecting the last way in: status %d:\n%s", pg.Status, pg.text())
	}
	if got := linkedTo(t, p, "corp-erin"); got != erin.ID {
		t.Errorf("corp-erin is linked to %q, want it kept on %s", got, erin.ID)
	}
}

// Sign-up through a provider asks only for what the provider did not give:
// here the username, never the email (verified by the provider) nor a
// password.
func TestOAuthSignUpAsksOnlyForMissingFields(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{Env: map[string]string{
		"PORTAL_IDENTIFIERS":      "email,username",
		"PORTAL_SIGN_UP_REQUIRED": "email_address,username",
	}})
	op.SetUser("corp-fay", "fay@example.com", true, "Fay", "F")
	b := newBrowser(t, p)
	pg := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp))
	if pg.Status != http.StatusOK || pg.URL.Path != "/sign-up/continue" {
		t.Fatalf("after the provider: status %d at %s, want /sign-up/continue:\n%s", pg.Status, pg.URL, pg.text())
	}
	var asked []string
	pg.Doc.Find(`form[action="/sign-up/continue"] input`).Each(func(_ int, in *goquery.Selection) {
		if typ, _ := in.Attr("type"); typ != "hidden" {
			name, _ := in.Attr("name")
			asked = append(asked, name)
		}
	})
	if strings.Join(asked, ",") != "username" {
		t.Fatalf("/sign-up/continue asks for %v, want only the username:\n%s", asked, pg.Body)
	}
	if c := pg.setCookie("__session"); c != nil {
		t.Errorf("a session before the sign-up is complete")
	}

	done := b.submit(pg, `form[action="/sign-up/continue"]`, map[string]string{"username": "fay_f"})
	fay := userByEmail(t, p, "fay@example.com")
	signedInAs(t, p, done, fay.ID)
	if fay.Username() != "fay_f" || fay.PasswordHash != "" || len(fay.VerifiedEmails()) != 1 {
		t.Errorf("new user: username %q, password %v, verified emails %v", fay.Username(), fay.PasswordHash != "", fay.VerifiedEmails())
	}
	if o := lastUserObject(t, p, fay.ID, events.UserCreated); !hasExternal(o, corp, "corp-fay") {
		t.Errorf("user.created lists external accounts %+v, want corp-fay", o.ExternalAccounts)
	}
}

// An address the provider did not verify is verified here before the
// account exists (REQ-OA-05): sign-up goes on to the emailed code.
func TestOAuthSignUpVerifiesUnverifiedEmail(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{})
	op.SetUser("corp-hal", "hal@example.com", false, "Hal", "H")
	b, pg := signInWithCorp(t, p)
	if pg.Status != http.StatusOK || pg.Doc.Find(verifyForm).Length() == 0 {
		t.Fatalf("after the provider: status %d at %s, want the code page:\n%s", pg.Status, pg.URL, pg.text())
	}
	if n := count(t, p); n.users != 0 || n.sessions != 0 {
		t.Fatalf("before the code: %+v", n)
	}
	code := p.SMTP.WaitFor(t, "hal@example.com", mailWait).Code()
	done := b.submit(pg, verifyForm, map[string]string{"code": code})
	hal := userByEmail(t, p, "hal@example.com")
	signedInAs(t, p, done, hal.ID)
	if got := linkedTo(t, p, "corp-hal"); got != hal.ID {
		t.Errorf("corp-hal is linked to %q, want %s", got, hal.ID)
	}
}
