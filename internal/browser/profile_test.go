package browser

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"
)

const workEmail = "ada.work@example.com"

// TestAccountPageWithJavaScriptOff follows a person from the app to the
// account page and back, with scripts disabled: change their name, upload a
// profile image, add a second email address by its emailed code, make it
// primary, remove the old one, then delete the account and land on a page
// saying so.
func TestAccountPageWithJavaScriptOff(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	b.disableJavaScript()
	userID := w.signUp()

	b.load("click Manage account on the app", chromedp.Click(chromedp.ID("account")))
	b.expectURL(w.p.URL + "/user?redirect_url=")
	b.expectPage("Your account · Portal", "Your account")

	b.typeInto("first_name-field", "Ada")
	b.typeInto("last_name-field", "King")
	b.submit("save the profile", `form[action="/user/profile"]`)
	w.expectNotice("Your profile is saved.")
	if got := b.text(".cl-avatar--initials"); got != "AK" {
		b.fatalf("initials = %q, want AK", got)
	}
	// The organization pages' small square logos once shared this class and
	// shrank the profile picture to a 32 px square.
	if got := b.avatarShape(".cl-avatar--initials"); got != "64x64 round" {
		b.fatalf("initials avatar is %s, want 64x64 round", got)
	}
	picture := filepath.Join(t.TempDir(), "me.png")
	writePNG(t, picture, 640, 480)
	b.do("choose a picture", chromedp.SetUploadFiles(chromedp.ID("image-field"), []string{picture}))
	b.submit("upload it", `form[action="/user/profile-image"]`)
	w.expectNotice("Your profile image is updated.")
	if src := b.attr("img.cl-avatar", "src"); !strings.HasPrefix(src, w.p.URL+"/images/img_") {
		b.fatalf("profile image src = %q", src)
	}
	if !b.imageLoaded("img.cl-avatar") {
		b.fatalf("the profile image did not load")
	}
	if got := b.avatarShape("img.cl-avatar"); got != "64x64 round" {
		b.fatalf("profile image is %s, want 64x64 round", got)
	}

	b.load("click Add an email address", chromedp.Click(chromedp.CSS(`a[href="/user/email-addresses/new"]`)))
	b.expectPage("Add an email address · Portal", "Add an email address")
	b.typeInto("email_address-field", workEmail)
	b.submit("submit the new address", `form[action="/user/email-addresses"]`)
	b.expectPage("Verify your email address · Portal", "Verify your email address")
	w.expectAutocomplete("#code-field", "one-time-code")
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, workEmail, 10*time.Second).Code())
	b.submit("submit the code", `form[action="/user/verify-identifier"]`)
	w.expectNotice("The email address is verified and added to your account.")

	b.load("click Make primary", chromedp.Click(chromedp.CSS(`a[aria-label="Make `+workEmail+` primary"]`)))
	b.expectPage("Make "+workEmail+" primary? · Portal", "Make "+workEmail+" primary?")
	b.submit("confirm", `form[action$="/primary"]`)
	w.expectNotice("Your primary email address is changed.")
	if m := w.p.SMTP.WaitFor(t, email, 10*time.Second); !strings.Contains(m.Text, workEmail) {
		b.fatalf("the old address was not told about the change:\n%s", m.Text)
	}

	b.load("click Remove on the old address", chromedp.Click(chromedp.CSS(`a[aria-label="Remove `+email+`"]`)))
	b.expectPage("Remove "+email+"? · Portal", "Remove "+email+"?")
	b.submit("confirm", `form[action$="/remove"]`)
	w.expectNotice("It is removed from your account.")
	if got := b.text("#emails .cl-identifierList"); !strings.Contains(got, workEmail) || strings.Contains(got, email) {
		b.fatalf("email addresses listed: %q", got)
	}

	b.load("click Back to the app", chromedp.Click(chromedp.CSS(`footer a`)))
	w.expectSignedIn(userID)
	if got := b.text("#js"); got != "JavaScript off" {
		b.fatalf("scripts ran although they were disabled: #js says %q", got)
	}

	b.load("click Manage account again", chromedp.Click(chromedp.ID("account")))
	b.load("click Delete account", chromedp.Click(chromedp.CSS(`a[href="/user/delete"]`)))
	b.expectPage("Delete account · Portal", "Delete your account")
	b.typeInto("confirmation-field", "Delete account")
	b.submit("delete the account", `form[action="/user/delete"]`)
	b.expectURL(w.p.URL + "/user/deleted")
	b.expectPage("Your account is deleted · Portal", "Your account is deleted")
	b.load("click Back to the app", chromedp.Click(chromedp.CSS(`footer a`)))
	w.expectSignedOut()
}

// TestDevices signs one account in from two browser contexts (two devices,
// cookies apart), lists both on the account page, and signs the other out
// from there: its next handshake finds it signed out. Signed in again, the
// other device is signed out once more by a password change, and this one
// stays signed in.
func TestDevices(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Now())
	w := start(t, clock)
	b := w.b
	userID := w.signUp()
	other := w.otherDevice()
	w.signInOn(other, password, userID)

	b.open(w.p.URL + "/user")
	if got := b.count(".cl-device"); got != 2 {
		b.fatalf("%d devices listed, want 2", got)
	}
	if got := b.text(".cl-device:first-child .cl-tag"); got != "This device" {
		b.fatalf("the first device is tagged %q", got)
	}
	b.submit("sign the other device out", `.cl-device:not(:first-child) form[action$="/revoke"]`)
	w.expectNotice("The device is signed out.")
	if got := b.count(".cl-device"); got != 1 {
		b.fatalf("%d devices listed after signing one out, want 1", got)
	}

	// Its token lives out its minute; the refresh after that signs it out.
	clock.Advance(w.p.Config.SessionTokenTTL + tokenLeeway + time.Second)
	other.open(w.app.URL)
	w.expectSignedOutOn(other)

	w.signInOn(other, password, userID)
	const newPassword = "amber falcon lighthouse tundra 2024"
	b.open(w.p.URL + "/user/password")
	b.expectPage("Password · Portal", "Change your password")
	b.typeInto("password-field", newPassword)
	b.submit("change the password", `form[action="/user/password"]`)
	w.expectNotice("Your password is saved.")
	clock.Advance(w.p.Config.SessionTokenTTL + tokenLeeway + time.Second)
	other.open(w.app.URL)
	w.expectSignedOutOn(other)
	b.open(w.app.URL)
	w.expectSignedIn(userID)
}

// otherDevice opens a tab in a new browser context of the same Chromium:
// another device as far as cookies go.
func (w *world) otherDevice() *tab {
	w.t.Helper()
	ctx, cancel := chromedp.NewContext(w.b.ctx, chromedp.WithNewBrowserContext())
	w.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		w.b.fatalf("open another browser context: %v", err)
	}
	return &tab{t: w.t, ctx: ctx, deadline: w.b.deadline, output: w.b.output}
}

// signInOn signs in on tab d from the app, with the password.
func (w *world) signInOn(d *tab, pw, userID string) {
	w.t.Helper()
	d.open(w.app.URL)
	d.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	d.typeInto("identifier-field", email)
	d.submit("submit the email", `form[action="/sign-in"]`)
	d.typeInto("password-field", pw)
	d.submit("submit the password", `form[action="/sign-in/factor-one"]`)
	if got, want := d.text("#signed-in"), "Signed in as "+userID; got != want {
		d.fatalf("app says %q, want %q", got, want)
	}
}

func (w *world) expectSignedOutOn(d *tab) {
	w.t.Helper()
	d.expectURL(w.app.URL)
	d.text("#signed-out")
	if got := d.cookie(w.app.URL, "__client_uat"); got != "0" {
		d.fatalf("__client_uat = %q, want 0", got)
	}
}

// expectNotice checks the account page's notice starts with msg.
func (w *world) expectNotice(msg string) {
	w.t.Helper()
	w.b.expectURL(w.p.URL + "/user")
	if got := w.b.text(".cl-alert--success"); !strings.HasPrefix(got, msg) {
		w.b.fatalf("notice = %q, want %q", got, msg)
	}
}

func (b *tab) count(css string) int {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(css)+`).length`))
	if err != nil {
		b.fatalf("count %s: %v", css, err)
	}
	return n
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// imageLoaded reports whether the image css shows decoded pixels.
func (b *tab) imageLoaded(css string) bool {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector(`+jsString(css)+
		`); return !!i && i.complete && i.naturalWidth === 256; })()`))
	if err != nil {
		b.fatalf("image %s: %v", css, err)
	}
	return ok
}

// avatarShape is the rendered size of css and whether it is a circle, as
// "WxH round" or "WxH square".
func (b *tab) avatarShape(css string) string {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+jsString(css)+
		`); if (!e) return "missing"; const r = e.getBoundingClientRect();
		return Math.round(r.width) + "x" + Math.round(r.height) + (getComputedStyle(e).borderRadius === "50%" ? " round" : " square"); })()`))
	if err != nil {
		b.fatalf("avatar %s: %v", css, err)
	}
	return got
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
