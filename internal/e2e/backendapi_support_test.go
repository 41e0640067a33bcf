package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
)

// What a support team does to one user through Clerk's Go SDK, checked by
// what the person then sees: a second factor no longer asked, a passkey
// that no longer signs in, an added address that does.

// DeleteBackupCode leaves the app, DeleteTOTP takes it: the next sign-in
// asks for no second step. Each change is one user.updated, as on /user.
func TestClerkSDKResetsSecondFactors(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	users, ctx := clerkuser.NewClient(clerkConfig(p)), context.Background()
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	enrolTOTP(t, b, clock)
	ada := userByEmail(t, p, "ada@example.com")
	updates := countEvents(t, p, ada.ID, events.UserUpdated)

	res, err := users.DeleteBackupCode(ctx, ada.ID)
	if err != nil || res.UserID != ada.ID {
		t.Fatalf("DeleteBackupCode = %+v, %v", res, err)
	}
	got, err := users.Get(ctx, ada.ID)
	if err != nil || got.BackupCodeEnabled || !got.TOTPEnabled || !got.TwoFactorEnabled {
		t.Errorf("after DeleteBackupCode: backup %v, totp %v, two-factor %v (%v)", got.BackupCodeEnabled, got.TOTPEnabled, got.TwoFactorEnabled, err)
	}
	clock.Advance(time.Minute)
	wantText(t, "sign-in with the app kept", signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL),
		http.StatusOK, "Two-step verification")

	if res, err = users.DeleteTOTP(ctx, ada.ID); err != nil || res.UserID != ada.ID {
		t.Fatalf("DeleteTOTP = %+v, %v", res, err)
	}
	if o := lastUser(t, p, ada.ID); o.TOTPEnabled || o.TwoFactorEnabled || o.BackupCodeEnabled {
		t.Errorf("user.updated after DeleteTOTP: %+v", o)
	}
	if n := countEvents(t, p, ada.ID, events.UserUpdated) - updates; n != 2 {
		t.Errorf("%d user.updated for two changes", n)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)

	// Nothing left to take: still the answer, no event.
	if res, err = users.DeleteMFA(ctx, &clerkuser.DeleteMFAParams{ID: ada.ID}); err != nil || res.UserID != ada.ID {
		t.Errorf("DeleteMFA of nothing = %+v, %v", res, err)
	}
	if n := countEvents(t, p, ada.ID, events.UserUpdated) - updates; n != 2 {
		t.Errorf("DeleteMFA of nothing wrote an event (%d in all)", n)
	}
	for what, call := range map[string]func() error{
		"DeleteMFA": func() error {
			_, err := users.DeleteMFA(ctx, &clerkuser.DeleteMFAParams{ID: "user_missing"})
			return err
		},
		"DeleteTOTP":       func() error { _, err := users.DeleteTOTP(ctx, "user_missing"); return err },
		"DeleteBackupCode": func() error { _, err := users.DeleteBackupCode(ctx, "user_missing"); return err },
	} {
		t.Run(what+" of an unknown user", func(t *testing.T) { wantSDKError(t, call(), http.StatusNotFound, "resource_not_found") })
	}
}

// Where a second step is required, DeleteMFA is how support lets in
// someone who lost their phone: the next sign-in has them set one up again
// before any session, instead of asking for the lost one.
func TestClerkSDKDeleteMFAWhereRequired(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_REQUIRE_MFA": "true"}})
	users, ctx := clerkuser.NewClient(clerkConfig(p)), context.Background()
	b := newBrowser(t, p)
	pg := signUp(t, p, b, "ada@example.com", appURL)
	href, _ := pg.Doc.Find(`a:contains("Set up an authenticator app")`).Attr("href")
	setup := b.get(href)
	secret := strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text())
	b.submit(setup, totpForm, map[string]string{"code": totpCode(t, secret, clock.Now())})
	ada := userByEmail(t, p, "ada@example.com")
	if !ada.TOTP {
		t.Fatal("the app was not set up")
	}

	if res, err := users.DeleteMFA(ctx, &clerkuser.DeleteMFAParams{ID: ada.ID}); err != nil || res.UserID != ada.ID {
		t.Fatalf("DeleteMFA = %+v, %v", res, err)
	}
	if got := userByID(t, p, ada.ID); got.HasSecondFactor() || got.BackupCodes != 0 {
		t.Errorf("after DeleteMFA: second factor %v, %d backup codes", got.HasSecondFactor(), got.BackupCodes)
	}
	clock.Advance(time.Minute)
	next := signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL)
	wantText(t, "the next sign-in", next, http.StatusOK, "requires a second step")
	noSession(t, "the next sign-in", next)
	if strings.Contains(next.text(), "Enter the code from your authenticator app") {
		t.Error("the next sign-in asked for the removed app")
	}
}

// DeletePasskey: the passkey no longer signs in; the answer is Clerk's
// deleted object. DeleteExternalAccount keeps /user's rule: a provider
// account that is the only way in stays.
func TestClerkSDKRemovesPasskeyAndConnectedAccount(t *testing.T) {
	// Passwords and passkeys only: an email address alone is no way in.
	p, op := startWithOIDC(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "password,passkey"}})
	users, ctx := clerkuser.NewClient(clerkConfig(p)), context.Background()
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	k := newKey(t, p)
	addPasskey(t, b, k, webauthntest.Ceremony{})
	ada := userByEmail(t, p, "ada@example.com")
	if len(ada.PasskeyList) != 1 {
		t.Fatalf("%d passkeys", len(ada.PasskeyList))
	}
	pid := ada.PasskeyList[0].ID
	wantHandBack(t, signInWithPasskey(t, newBrowser(t, p), k, webauthntest.Ceremony{}, appURL), http.StatusSeeOther, appURL)

	wantSDKError(t, func() error { _, err := users.DeletePasskey(ctx, "user_missing", pid); return err }(),
		http.StatusNotFound, "resource_not_found")
	other := userByID(t, p, func() string {
		u, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"grace@example.com"}, Password: str(goodPassword)})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}())
	wantSDKError(t, func() error { _, err := users.DeletePasskey(ctx, other.ID, pid); return err }(),
		http.StatusNotFound, "resource_not_found")
	wantSDKError(t, func() error { _, err := users.DeletePasskey(ctx, ada.ID, "not base64!"); return err }(),
		http.StatusNotFound, "resource_not_found")

	gone, err := users.DeletePasskey(ctx, ada.ID, pid)
	if err != nil || gone.ID != pid || gone.Object != "passkey" || !gone.Deleted {
		t.Fatalf("DeletePasskey = %+v, %v", gone, err)
	}
	if o := lastUser(t, p, ada.ID); len(o.Passkeys) != 0 {
		t.Errorf("user.updated still lists %d passkeys", len(o.Passkeys))
	}
	in := newBrowser(t, p)
	if pg := signInWithPasskey(t, in, k, webauthntest.Ceremony{}, appURL); pg.Status < 400 || in.cookie("__session") != "" {
		t.Errorf("the removed passkey signed in: %d", pg.Status)
	}

	// An account made through the provider has no password: its provider
	// account is its only way in, as on /user.
	op.SetUser("user-2", "cy@example.com", true, "Cy", "Young")
	cy := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, cy, providerButton(t, cy.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	viaCorp := userByEmail(t, p, "cy@example.com")
	if len(viaCorp.ExternalAccounts) != 1 || viaCorp.PasswordHash != "" {
		t.Fatalf("the provider's account: %+v", viaCorp)
	}
	xid := viaCorp.ExternalAccounts[0].ID
	_, err = users.DeleteExternalAccount(ctx, &clerkuser.DeleteExternalAccountParams{UserID: viaCorp.ID, ID: xid})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "identification_deletion_failed")
	if len(userByID(t, p, viaCorp.ID).ExternalAccounts) != 1 {
		t.Fatal("the only way in was disconnected")
	}
	_, err = users.DeleteExternalAccount(ctx, &clerkuser.DeleteExternalAccountParams{UserID: ada.ID, ID: xid})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	// With a password it can go.
	if _, err := users.Update(ctx, viaCorp.ID, &clerkuser.UpdateParams{Password: str(goodPassword)}); err != nil {
		t.Fatal(err)
	}
	done, err := users.DeleteExternalAccount(ctx, &clerkuser.DeleteExternalAccountParams{UserID: viaCorp.ID, ID: xid})
	if err != nil || done.ID != xid || done.Object != "external_account" || !done.Deleted {
		t.Fatalf("DeleteExternalAccount = %+v, %v", done, err)
	}
	if o := lastUser(t, p, viaCorp.ID); len(o.ExternalAccounts) != 0 {
		t.Errorf("user.updated still lists %d connected accounts", len(o.ExternalAccounts))
	}
}

// pngFile writes a w×h PNG to a file the SDK can upload.
func pngFile(t *testing.T, w, h int) *os.File {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return dataFile(t, "face.png", buf.Bytes())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func dataFile(t *testing.T, name string, data []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// UpdateProfileImage goes through /user's checks and re-encoding: the
// image served is the portal's 256×256 PNG; what is not an image is
// refused, naming the field file; DeleteProfileImage brings the initials
// back.
func TestClerkSDKProfileImage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	users, ctx := clerkuser.NewClient(clerkConfig(p)), context.Background()
	ada, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: str(goodPassword)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := users.UpdateProfileImage(ctx, ada.ID, &clerkuser.UpdateProfileImageParams{File: pngFile(t, 600, 400)})
	if err != nil || !got.HasImage || !strings.HasPrefix(deref(got.ImageURL), p.URL+"/images/img_") {
		t.Fatalf("UpdateProfileImage = has_image %v, image_url %q, %v", got.HasImage, deref(got.ImageURL), err)
	}
	imageURL := *got.ImageURL
	resp, err := p.HTTPClient().Get(imageURL)
	if err != nil {
		t.Fatal(err)
	}
	served, _, err := image.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || served.Bounds().Dx() != 256 || served.Bounds().Dy() != 256 {
		t.Errorf("served image: %v, %v; want 256×256", served, err)
	}
	if o := lastUser(t, p, ada.ID); o.ImageURL != imageURL || !o.HasImage {
		t.Errorf("user.updated image %q %v", o.ImageURL, o.HasImage)
	}

	_, err = users.UpdateProfileImage(ctx, ada.ID, &clerkuser.UpdateProfileImageParams{File: dataFile(t, "face.png", []byte("<svg/>"))})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	var apiErr *clerk.APIErrorResponse
	if asAPIError(err, &apiErr) && apiErr.Errors[0].Meta != nil {
		if name := string(apiErr.Errors[0].Meta); !strings.Contains(name, `"file"`) {
			t.Errorf("meta %s, want param_name file", name)
		}
	}
	_, err = users.UpdateProfileImage(ctx, "user_missing", &clerkuser.UpdateProfileImageParams{File: pngFile(t, 8, 8)})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	if now, _ := users.Get(ctx, ada.ID); deref(now.ImageURL) != imageURL {
		t.Errorf("a refused upload changed the image to %q", deref(now.ImageURL))
	}

	cleared, err := users.DeleteProfileImage(ctx, ada.ID)
	if err != nil || cleared.HasImage || deref(cleared.ImageURL) != "" {
		t.Fatalf("DeleteProfileImage = has_image %v, image_url %q, %v", cleared.HasImage, deref(cleared.ImageURL), err)
	}
	if resp, err := p.HTTPClient().Get(imageURL); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the removed image is still served: %v %v", resp.StatusCode, err)
	}
	if _, err := users.DeleteProfileImage(ctx, "user_missing"); err == nil {
		t.Error("DeleteProfileImage of an unknown user succeeded")
	} else {
		wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	}
}

// emailaddress.*: an added verified address signs in at once; making it
// primary tells the old address (as /user does); a taken or malformed
// address is refused as Clerk refuses it; the blocklist does not limit the
// operator; a removed address no longer signs in.
func TestClerkSDKEmailAddresses(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_BLOCKLIST": "@blocked.example"}})
	users, emails, ctx := clerkuser.NewClient(clerkConfig(p)), emailaddress.NewClient(clerkConfig(p)), context.Background()
	ada, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: str(goodPassword)})
	if err != nil {
		t.Fatal(err)
	}
	grace, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"grace@example.com"}, Password: str(goodPassword)})
	if err != nil {
		t.Fatal(err)
	}
	updates := countEvents(t, p, ada.ID, events.UserUpdated)

	// The blocklist does not stop the operator, as with POST /v1/users; an
	// account holding a blocked address cannot sign in, as always.
	blocked, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: &grace.ID, EmailAddress: str("Grace@Blocked.Example"),
		Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if blocked.Object != "email_address" || !strings.HasPrefix(blocked.ID, "idn_") || blocked.EmailAddress != "grace@blocked.example" ||
		blocked.Verification == nil || blocked.Verification.Status != "verified" {
		t.Errorf("Create = %+v", blocked)
	}
	if o := lastUser(t, p, grace.ID); o.EmailAddress(blocked.ID) == nil {
		t.Error("user.updated does not list the added address")
	}
	wantText(t, "an account holding a blocked address", signIn(t, newBrowser(t, p), "grace@example.com", goodPassword, appURL),
		http.StatusForbidden, "can't sign in")

	work, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: &ada.ID, EmailAddress: str("ada@work.example"),
		Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, p, ada.ID, events.UserUpdated) - updates; n != 1 {
		t.Errorf("%d user.updated for the addition", n)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@work.example", goodPassword, appURL), http.StatusSeeOther, appURL)

	pending, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: &ada.ID, EmailAddress: str("ada@later.example")})
	if err != nil || pending.Verification.Status != "unverified" {
		t.Fatalf("Create unverified = %+v, %v", pending, err)
	}
	if got, err := emails.Get(ctx, pending.ID); err != nil || got.EmailAddress != "ada@later.example" {
		t.Errorf("Get = %+v, %v", got, err)
	}

	for what, c := range map[string]struct {
		params *emailaddress.CreateParams
		status int
		code   string
	}{
		"taken by another user": {&emailaddress.CreateParams{UserID: &ada.ID, EmailAddress: str("GRACE@example.com"), Verified: clerk.Bool(true)},
			http.StatusUnprocessableEntity, "form_identifier_exists"},
		"the user's own": {&emailaddress.CreateParams{UserID: &ada.ID, EmailAddress: str("ada@example.com")},
			http.StatusUnprocessableEntity, "form_identifier_exists"},
		"malformed": {&emailaddress.CreateParams{UserID: &ada.ID, EmailAddress: str("not-an-address")},
			http.StatusUnprocessableEntity, "form_param_format_invalid"},
		"no user_id":      {&emailaddress.CreateParams{EmailAddress: str("x@example.com")}, http.StatusUnprocessableEntity, "form_param_missing"},
		"an unknown user": {&emailaddress.CreateParams{UserID: str("user_missing"), EmailAddress: str("x@example.com")}, http.StatusNotFound, "resource_not_found"},
	} {
		t.Run(what, func(t *testing.T) {
			_, err := emails.Create(ctx, c.params)
			wantSDKError(t, err, c.status, c.code)
		})
	}

	// Verified and made primary: the old primary address is told.
	up, err := emails.Update(ctx, pending.ID, &emailaddress.UpdateParams{Verified: clerk.Bool(true), Primary: clerk.Bool(true)})
	if err != nil || up.Verification.Status != "verified" {
		t.Fatalf("Update = %+v, %v", up, err)
	}
	if now, _ := users.Get(ctx, ada.ID); now.PrimaryEmailAddressID == nil || *now.PrimaryEmailAddressID != pending.ID {
		t.Errorf("primary email address ID %v, want %s", now.PrimaryEmailAddressID, pending.ID)
	}
	if m := p.SMTP.WaitFor(t, "ada@example.com", mailWait); !strings.Contains(m.Text, "ada@later.example") {
		t.Errorf("the notice to the old primary address does not name the new one:\n%s", m.Text)
	}
	if n := countEvents(t, p, ada.ID, events.UserUpdated) - updates; n != 3 {
		t.Errorf("%d user.updated after three changes", n)
	}
	_, err = emails.Update(ctx, pending.ID, &emailaddress.UpdateParams{Verified: clerk.Bool(false)})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = emails.Update(ctx, "idn_missing", &emailaddress.UpdateParams{Primary: clerk.Bool(true)})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	// The primary address goes last; others go, and stop signing in.
	_, err = emails.Delete(ctx, pending.ID)
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	gone, err := emails.Delete(ctx, work.ID)
	if err != nil || gone.ID != work.ID || gone.Object != "email_address" || !gone.Deleted {
		t.Fatalf("Delete = %+v, %v", gone, err)
	}
	in := newBrowser(t, p)
	if pg := in.submit(passwordStep(t, in, "ada@work.example", appURL), passwordForm, map[string]string{"password": goodPassword}); pg.Status == http.StatusSeeOther || in.cookie("__session") != "" {
		t.Errorf("the removed address still signs in: %d", pg.Status)
	}
	_, err = emails.Get(ctx, work.ID)
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
}

// phonenumber.*: Portal's one number for second-factor codes per user is
// reserved and released with reserved_for_second_factor; the first
// reservation answers the new backup codes, as Clerk's phone number
// object carries them; a reserved number is released before it is removed.
func TestClerkSDKPhoneNumbers(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,phone"}})
	users, phones, ctx := clerkuser.NewClient(clerkConfig(p)), phonenumber.NewClient(clerkConfig(p)), context.Background()
	ada, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: str(goodPassword)})
	if err != nil {
		t.Fatal(err)
	}
	num, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: &ada.ID, PhoneNumber: str("+1 415 555 0100"), Verified: clerk.Bool(true)})
	if err != nil || num.Object != "phone_number" || num.PhoneNumber != "+14155550100" || num.Verification.Status != "verified" ||
		num.ReservedForSecondFactor {
		t.Fatalf("Create = %+v, %v", num, err)
	}
	if now, _ := users.Get(ctx, ada.ID); now.PrimaryPhoneNumberID == nil || *now.PrimaryPhoneNumberID != num.ID {
		t.Errorf("the first verified number is not primary: %v", now.PrimaryPhoneNumberID)
	}
	_, err = phones.Create(ctx, &phonenumber.CreateParams{UserID: &ada.ID, PhoneNumber: str("12")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = phones.Create(ctx, &phonenumber.CreateParams{UserID: str("user_missing"), PhoneNumber: str("+14155550101")})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	reserved, err := phones.Update(ctx, num.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)})
	if err != nil || !reserved.ReservedForSecondFactor || !reserved.DefaultSecondFactor || len(reserved.BackupCodes) != 10 {
		t.Fatalf("reserving = %+v, %v", reserved, err)
	}
	if now, _ := users.Get(ctx, ada.ID); !now.TwoFactorEnabled || !now.BackupCodeEnabled {
		t.Errorf("after reserving: two-factor %v, backup codes %v", now.TwoFactorEnabled, now.BackupCodeEnabled)
	}
	wantText(t, "the next sign-in", signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL),
		http.StatusOK, "Enter the code we texted to +1••••••0100")

	other, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: &ada.ID, PhoneNumber: str("+14155550101"), Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = phones.Update(ctx, other.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = phones.Delete(ctx, num.ID)
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")

	released, err := phones.Update(ctx, num.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(false)})
	if err != nil || released.ReservedForSecondFactor || len(released.BackupCodes) != 0 {
		t.Fatalf("releasing = %+v, %v", released, err)
	}
	if o := lastUser(t, p, ada.ID); o.TwoFactorEnabled || o.BackupCodeEnabled {
		t.Errorf("user.updated after releasing: two-factor %v, backup codes %v", o.TwoFactorEnabled, o.BackupCodeEnabled)
	}
	if gone, err := phones.Delete(ctx, num.ID); err != nil || !gone.Deleted || gone.Object != "phone_number" {
		t.Fatalf("Delete = %+v, %v", gone, err)
	}
	if got, err := phones.Get(ctx, other.ID); err != nil || got.PhoneNumber != "+14155550101" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	_, err = phones.Get(ctx, num.ID)
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	// An email address is not a phone number.
	_, err = phones.Get(ctx, *ada.PrimaryEmailAddressID)
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
}
