package e2e

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
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

// Pressing Verify twice, or coming back to the code page afterwards, says
// the address is added — not that the verification expired and the
// address must be added again, when it is on the account already. Once the
// address is removed, the old page is expired again.
func TestVerifyingAnAddedAddressAgain(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	codePage := b.submit(b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "ada@work.example"})
	code := p.SMTP.WaitFor(t, "ada@work.example", mailWait).Code()
	wantText(t, "the first press", b.submit(codePage, identifierCodeForm, map[string]string{"code": code}),
		http.StatusOK, "The email address is verified")
	wantText(t, "the second press", b.submit(codePage, identifierCodeForm, map[string]string{"code": code}),
		http.StatusOK, "The email address is verified", "ada@work.example")
	wantText(t, "back to the code page", b.get(codePage.URL.RequestURI()), http.StatusOK, "The email address is verified")
	wantText(t, "a new code asked for afterwards", b.submit(codePage, identifierSendForm, nil), http.StatusOK, "The email address is verified")

	ada := wantVerified(t, p, user.Email, "ada@work.example")
	rm := b.get("/user/email-addresses/" + identifierID(t, ada, "ada@work.example") + "/remove")
	wantText(t, "removing it", b.submit(rm, confirmForm(rm), nil), http.StatusOK, "It is removed")
	wantText(t, "the code page after the removal", b.get(codePage.URL.RequestURI()), http.StatusGone, "has expired")
	wantText(t, "the code after the removal", b.submit(codePage, identifierCodeForm, map[string]string{"code": code}),
		http.StatusGone, "has expired")
	if u := userByEmail(t, p, "ada@example.com"); u.Has(user.Email, "ada@work.example") {
		t.Error("the removed address came back")
	}
}

// An emailed link adds the address only in the browser that asked for it:
// a person tricked into opening a link for an address someone else typed
// must not attach it to that someone's account. Opened again once it
// added the address, it says the address is there instead of asking for
// a new link.
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

	mallory := newBrowser(t, p)
	signUp(t, p, mallory, "mallory@example.com", "")
	for name, other := range map[string]*browser{"signed out": newBrowser(t, p), "another account": mallory} {
		wantText(t, name, other.get(link), http.StatusForbidden, "Open this link in the browser where you added the address")
	}
	if u := userByEmail(t, p, "ada@example.com"); u.Has(user.Email, "ada@home.example") {
		t.Fatal("the address was added from another browser")
	}

	pg0 := b.get(link)
	wantText(t, "the link in the right browser", pg0, http.StatusOK, "Verify your email address")
	pg = b.submit(pg0, linkVerifyForm, nil)
	wantText(t, "after confirming", pg, http.StatusOK, "The email address is verified")
	wantVerified(t, p, user.Email, "ada@home.example")
	// Opened again, its work is done: it says so rather than ask for a
	// new link, GET and POST alike; to another account it was used.
	for what, pg := range map[string]*page{"the link again": b.get(link), "its button again": b.submit(pg0, linkVerifyForm, nil)} {
		wantText(t, what, pg, http.StatusOK, "Your email address is verified",
			"ada@home.example is verified and on your account already, so this link isn't needed any more.")
		if pg.Doc.Find(`footer a[href="/user"]`).Length() != 1 {
			t.Errorf("%s: no way to the account:\n%s", what, pg.Body)
		}
	}
	wantText(t, "the link in another account", mallory.get(link), http.StatusGone, "already used")
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

// The username field says what it is: optional for a person who has none
// (usernames are not required at sign-up here, and the names save without
// one), required once there is one, which can be changed but not cleared.
func TestProfileUsernameOptionalUntilChosen(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,username",
		"PORTAL_SIGN_UP_REQUIRED": "email_address,password"}})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	field := func(pg *page) (label string, required bool) {
		label = strings.Join(strings.Fields(pg.Doc.Find(`label[for="username-field"]`).Parent().Text()), " ")
		_, required = pg.Doc.Find("#username-field").Attr("required")
		return label, required
	}
	pg := b.get("/user")
	if label, required := field(pg); !strings.Contains(label, "Optional") || required {
		t.Errorf("without a username: label %q, required %v; want it marked Optional, not required", label, required)
	}
	pg = b.submit(pg, profileForm, map[string]string{"first_name": "Ada", "last_name": "", "username": ""})
	wantText(t, "names saved without a username", pg, http.StatusOK, "Your profile is saved.")
	pg = b.submit(pg, profileForm, map[string]string{"first_name": "Ada", "last_name": "", "username": "adalove"})
	wantText(t, "a username chosen", pg, http.StatusOK, "Your profile is saved.")
	if label, required := field(pg); strings.Contains(label, "Optional") || !required {
		t.Errorf("with a username: label %q, required %v; want it required, not marked Optional", label, required)
	}
	pg = b.submit(pg, profileForm, map[string]string{"first_name": "Ada", "last_name": "", "username": ""})
	if got := messageFor(pg, "username"); pg.Status != http.StatusUnprocessableEntity || got != "Enter a username." {
		t.Errorf("clearing the username: status %d, message %q", pg.Status, got)
	}
}

// The profile image: what is uploaded is checked, cropped, resized and
// re-encoded by the portal, served from the portal under an unguessable
// URL, and named in user.updated. Only this route accepts bodies over the
// instance's 1 MiB limit.
func TestProfileImage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	pg := b.get("/user")
	if got := strings.TrimSpace(pg.Doc.Find(".cl-avatar--initials").Text()); got != "AL" {
		t.Errorf("initials = %q, want AL", got)
	}

	var src bytes.Buffer
	if err := png.Encode(&src, image.NewRGBA(image.Rect(0, 0, 600, 300))); err != nil {
		t.Fatal(err)
	}
	pg = b.upload("/user/profile-image", "me.png", src.Bytes())
	wantText(t, "after uploading", pg, http.StatusOK, "Your profile image is updated.")
	imgURL, _ := pg.Doc.Find("img.cl-avatar").Attr("src")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(p.URL) + `/images/img_[0-9A-Za-z]{27}\.png$`).MatchString(imgURL) {
		t.Fatalf("image URL %q", imgURL)
	}
	if strings.Contains(imgURL, c.Subject) {
		t.Error("the image URL names the user")
	}
	o := lastUser(t, p, c.Subject)
	if o.ImageURL != imgURL || !o.HasImage {
		t.Errorf("user.updated image_url %q has_image %v, want %q", o.ImageURL, o.HasImage, imgURL)
	}
	resp, err := http.Get(imgURL)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "max-age=31536000") || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("GET image: %d %v", resp.StatusCode, resp.Header)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 256 || cfg.Height != 256 {
		t.Errorf("served image: %+v, %v; want a 256×256 PNG", cfg, err)
	}

	for name, tc := range map[string]struct {
		data   []byte
		status int
		msg    string
	}{
		"a text file":            {[]byte("#!/bin/sh\necho hi\n"), http.StatusUnprocessableEntity, "isn't an image we can use"},
		"a file just over 5 MiB": {make([]byte, 5<<20+1024), http.StatusRequestEntityTooLarge, "larger than 5 MB"},
	} {
		pg := b.upload("/user/profile-image", "x.png", tc.data)
		if pg.Status != tc.status || !strings.Contains(messageFor(pg, "image"), tc.msg) {
			t.Errorf("%s: status %d, message %q; want %d, %q", name, pg.Status, messageFor(pg, "image"), tc.status, tc.msg)
		}
	}
	huge := make([]byte, 7<<20)
	wantText(t, "7 MiB", b.upload("/user/profile-image", "x.png", huge), http.StatusRequestEntityTooLarge, "This image is too large")
	if pg := b.upload("/user/profile", "x.png", make([]byte, 2<<20)); pg.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB to another route: status %d, want 413", pg.Status)
	}
	if got := lastUser(t, p, c.Subject).ImageURL; got != imgURL {
		t.Errorf("a refused upload changed the image to %q", got)
	}

	pg = b.submit(b.get("/user"), `form[action="/user/profile-image/delete"]`, nil)
	wantText(t, "after removing", pg, http.StatusOK, "Your profile image is removed.")
	if pg.Doc.Find(".cl-avatar--initials").Length() != 1 || lastUser(t, p, c.Subject).HasImage {
		t.Error("the image is still shown or in user.updated")
	}
	if resp, err := http.Get(imgURL); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("old image URL after removal: %v, %v", resp, err)
	}
}

// Phone numbers have the same lifecycle when the instance takes them: a
// texted code adds one, another can be made primary, and sign-in by text
// then goes to the primary one.
func TestPhoneNumberLifecycle(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")

	for _, n := range []struct{ typed, e164 string }{{"+1 415 555 0100", adaPhone}, {"+44 7400 123456", ukPhone}} {
		pg := b.submit(b.get("/user/phone-numbers/new"), `form[action="/user/phone-numbers"]`, map[string]string{"phone_number": n.typed})
		wantText(t, "after adding "+n.typed, pg, http.StatusOK, "Verify your phone number")
		m := smsTo(t, tw, n.e164)
		if !strings.Contains(m.Body, "to add this number to your account") {
			t.Errorf("text %q does not say what it is for", m.Body)
		}
		pg = b.submit(pg, identifierCodeForm, map[string]string{"code": m.Code()})
		wantText(t, "after the code", pg, http.StatusOK, "The phone number is verified")
	}
	ada := wantVerified(t, p, user.Phone, ukPhone)
	if ada.PrimaryPhone() != adaPhone {
		t.Fatalf("primary phone %s, want the first one added", ada.PrimaryPhone())
	}
	pg := b.get("/user/phone-numbers/" + identifierID(t, ada, ukPhone) + "/primary")
	pg = b.submit(pg, confirmForm(pg), nil)
	wantText(t, "after making primary", pg, http.StatusOK, "Your primary phone number is changed.")
	if o := lastUser(t, p, ada.ID); o.PrimaryPhoneNumberID == nil || *o.PrimaryPhoneNumberID != identifierID(t, ada, ukPhone) {
		t.Errorf("user.updated primary_phone_number_id = %v", o.PrimaryPhoneNumberID)
	}
	in := newBrowser(t, p)
	codePage := in.submit(passwordStep(t, in, "ada@example.com", appURL), prepareForm, map[string]string{"strategy": "phone_code"})
	wantHandBack(t, in.submit(codePage, codeForm, map[string]string{"code": smsTo(t, tw, ukPhone).Code()}), http.StatusSeeOther, appURL)

	pg = b.get("/user/phone-numbers/" + identifierID(t, ada, adaPhone) + "/remove")
	wantText(t, "after removing", b.submit(pg, confirmForm(pg), nil), http.StatusOK, "It is removed from your account.")
	if len(userByID(t, p, ada.ID).Identifiers) != 2 {
		t.Error("the number was not removed")
	}
}
