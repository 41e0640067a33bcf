package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/invitation"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/internal/webhook"
)

// invitationGone is what the hand-back says of an invitation that can no
// longer be used; the link's own page says invitationGoneTitle and
// invitationGoneBody.
const (
	invitationGone      = "This invitation can't be used: it has expired, was revoked or was already used. Ask for a new one."
	invitationGoneTitle = "This invitation can't be used"
	invitationGoneBody  = "It has expired, was revoked or was already used. Ask for a new one."
)

// Clerk's Go SDK creates, lists and revokes application invitations
// through the portal: the answers decode with the values written, the link
// (answered once, on creation) is the one emailed, notify=false sends
// nothing, and a second invitation to a pending address is refused.
func TestClerkSDKManagesInvitations(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	invites := invitation.NewClient(clerkConfig(p))
	ctx := context.Background()

	bob, err := invites.Create(ctx, &invitation.CreateParams{EmailAddress: " Bob@Example.com",
		PublicMetadata: raw(`{"plan":"pro"}`), RedirectURL: str(appOrigin + "/welcome"), ExpiresInDays: clerk.Int64(7)})
	if err != nil {
		t.Fatal(err)
	}
	if bob.Object != "invitation" || !strings.HasPrefix(bob.ID, "inv_") || bob.EmailAddress != "bob@example.com" ||
		bob.Status != "pending" || bob.Revoked || !strings.HasPrefix(bob.URL, p.URL+"/invitation?ticket=") ||
		bob.ExpiresAt == nil || !aboutNow(p, *bob.ExpiresAt, 7*24*time.Hour) || !aboutNow(p, bob.CreatedAt, 0) ||
		bob.UpdatedAt != bob.CreatedAt {
		t.Errorf("created = %+v", bob)
	}
	jsonEqual(t, "public_metadata", bob.PublicMetadata, `{"plan":"pro"}`)
	if link := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link(); link != bob.URL {
		t.Errorf("emailed link %q, want the invitation's url %q", link, bob.URL)
	}
	carol, err := invites.Create(ctx, &invitation.CreateParams{EmailAddress: "carol@example.com", Notify: clerk.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "carol's public_metadata", carol.PublicMetadata, `{}`)
	for _, m := range p.SMTP.Messages() {
		if slices.Contains(m.To, "carol@example.com") {
			t.Error("notify=false sent carol an email")
		}
	}
	_, err = invites.Create(ctx, &invitation.CreateParams{EmailAddress: "bob@example.com"})
	wantSDKError(t, err, http.StatusBadRequest, "duplicate_record")
	_, err = invites.Create(ctx, &invitation.CreateParams{EmailAddress: "dave@example.com", RedirectURL: str("https://evil.example/")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")

	list, err := invites.List(ctx, &invitation.ListParams{})
	if err != nil || list.TotalCount != 2 || len(list.Invitations) != 2 || list.Invitations[0].ID != carol.ID ||
		list.Invitations[1].ID != bob.ID || list.Invitations[1].URL != "" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	page, err := invites.List(ctx, &invitation.ListParams{ListParams: listPage(1, 1)})
	if err != nil || page.TotalCount != 2 || len(page.Invitations) != 1 || page.Invitations[0].ID != bob.ID {
		t.Errorf("List(limit 1, offset 1) = %+v, %v", page, err)
	}

	found, err := invites.List(ctx, &invitation.ListParams{Query: str("BOB"), OrderBy: str("email_address")})
	if err != nil || found.TotalCount != 1 || found.Invitations[0].ID != bob.ID {
		t.Errorf("List(query=BOB) = %+v, %v", found, err)
	}
	byAddress, err := invites.List(ctx, &invitation.ListParams{OrderBy: str("email_address")})
	if err != nil || len(byAddress.Invitations) != 2 || byAddress.Invitations[0].ID != bob.ID {
		t.Errorf("List(order_by=email_address) = %+v, %v", byAddress, err)
	}
	_, err = invites.List(ctx, &invitation.ListParams{OrderBy: str("name")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")

	revoked, err := invites.Revoke(ctx, carol.ID)
	if err != nil || revoked.ID != carol.ID || revoked.Status != "revoked" || !revoked.Revoked {
		t.Fatalf("Revoke = %+v, %v", revoked, err)
	}
	_, err = invites.Revoke(ctx, carol.ID)
	wantSDKError(t, err, http.StatusBadRequest, "invitation_already_revoked")
	_, err = invites.Revoke(ctx, "inv_missing")
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	for status, want := range map[string]string{"revoked": carol.ID, "pending": bob.ID} {
		got, err := invites.List(ctx, &invitation.ListParams{Statuses: []string{status}})
		if err != nil || got.TotalCount != 1 || got.Invitations[0].ID != want {
			t.Errorf("List(status=%s) = %+v, %v", status, got, err)
		}
	}
	wantAPIError(t, api(t, p, http.MethodGet, "/v1/invitations?status=done", nil, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	wantAPIError(t, apiCall(t, p, http.MethodGet, "/v1/invitations", "", nil), http.StatusUnauthorized,
		"authorization_header_missing")
}

// The whole journey: the Backend API invites bob, the email arrives, its
// link opens sign-up with bob's address, bob signs up with the emailed
// code and lands on the invitation's redirect URL; his account has the
// invitation's public metadata, the invitation reads accepted, and the
// link now shows a 410 page.
func TestInvitationLinkSignsUpWithMetadata(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	welcome := appOrigin + "/welcome"
	var created struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "bob@example.com",
		"public_metadata": map[string]any{"plan": "pro", "seats": 3}, "redirect_url": welcome}, &created); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
	}
	link := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link()
	if link != created.URL {
		t.Fatalf("emailed link %q, want %q", link, created.URL)
	}

	b := newBrowser(t, p)
	form := b.get(link)
	if form.Status != http.StatusOK || form.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("the link: status %d at %s, want the sign-up form:\n%s", form.Status, form.URL, form.text())
	}
	if v, _ := form.Doc.Find(signUpForm + ` input[name="email_address"]`).Attr("value"); v != "bob@example.com" {
		t.Errorf("the address field holds %q, want bob@example.com", v)
	}
	// The link came through bob's mailbox, which is what a code would
	// prove (Clerk's ticket strategy): no code, straight to the app.
	wantHandBack(t, b.submit(form, signUpForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, welcome)
	if n := len(mailTo(p.SMTP, "bob@example.com")); n != 1 {
		t.Errorf("%d emails to bob, want the invitation alone", n)
	}

	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "bob's public_metadata", u.PublicMetadata, `{"plan":"pro","seats":3}`)
	// Taken up as the account was made: user.created already carries it,
	// for webhook consumers that provision from it.
	createdObj := lastUserObject(t, p, u.ID, "user.created")
	jsonEqual(t, "user.created public_metadata", createdObj.PublicMetadata, `{"plan":"pro","seats":3}`)
	var accepted paginatedInvitations
	api(t, p, http.MethodGet, "/v1/invitations?status=accepted&paginated=true", nil, &accepted)
	if accepted.TotalCount != 1 || accepted.Data[0].ID != created.ID || accepted.Data[0].Status != "accepted" {
		t.Errorf("accepted invitations: %+v", accepted)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/invitations/"+created.ID+"/revoke", nil, nil),
		http.StatusBadRequest, "invitation_already_accepted")
	var bare []struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodGet, "/v1/invitations", nil, &bare); r.Status != http.StatusOK || len(bare) != 1 ||
		bare[0].ID != created.ID {
		t.Errorf("GET /v1/invitations without paginated=true: %d %s, want a bare array", r.Status, r.Body)
	}

	again := newBrowser(t, p).get(link)
	wantText(t, "the used link", again, http.StatusGone, invitationGoneTitle, invitationGoneBody)
	if again.setCookie("__app_invitation") != nil {
		t.Error("the used link set the invitation cookie")
	}
}

// A revoked invitation's link shows the same 410 page, and a stale
// invitation cookie does not carry over into a later sign-up.
func TestRevokedInvitationLinkIsGone(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var created struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "bob@example.com",
		"public_metadata": map[string]any{"plan": "pro"}}, &created)
	b := newBrowser(t, p)
	if form := b.get(created.URL); form.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("the live link: status %d, want the sign-up form", form.Status)
	}
	if r := api(t, p, http.MethodPost, "/v1/invitations/"+created.ID+"/revoke", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	wantText(t, "the revoked link", newBrowser(t, p).get(created.URL), http.StatusGone, invitationGoneTitle, invitationGoneBody)

	// bob kept the cookie from before the revocation: signing up works
	// (the instance is public) but gives him nothing from the invitation.
	verifyPage := b.submit(b.get("/sign-up?email_address=bob%40example.com"), signUpForm,
		map[string]string{"password": goodPassword})
	code := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Code()
	done := b.submit(verifyPage, verifyForm, map[string]string{"code": code})
	wantText(t, "finishing with a revoked invitation kept", done, http.StatusGone, invitationGone)
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "bob's public_metadata", u.PublicMetadata, `{}`)
}

// On a restricted instance (PORTAL_SIGN_UP_MODE=restricted) an application
// invitation opens sign-up as an organization's does: the invitee signs up
// with the invited address (and no other), a stranger cannot.
func TestRestrictedSignUpByAppInvitation(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "restricted"}})
	var created struct {
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "bob@example.com",
		"public_metadata": map[string]any{"beta": true}}, &created); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
	}

	stranger := newBrowser(t, p)
	wantText(t, "a stranger's /sign-up", stranger.get("/sign-up"), http.StatusForbidden, invitationOnly)
	posted := stranger.postForm(http.MethodPost, "/sign-up", url.Values{"_csrf": {stranger.csrf()},
		"email_address": {"eve@example.com"}, "password": {goodPassword}}, nil)
	wantText(t, "a stranger's sign-up post", posted, http.StatusForbidden, invitationOnly)
	if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "eve@example.com"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the stranger's post made an account: %v", err)
	}

	bob := newBrowser(t, p)
	form := bob.get(created.URL)
	if form.Status != http.StatusOK || form.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("the invitation link: status %d at %s, want the sign-up form:\n%s", form.Status, form.URL, form.text())
	}
	other := bob.submit(form, signUpForm, map[string]string{"email_address": "bobby@example.com", "password": goodPassword})
	if got := fieldErrorOf(other, "email_address"); other.Status != http.StatusUnprocessableEntity ||
		got != "Use the address your invitation was sent to." {
		t.Errorf("signing up with another address: status %d, error %q", other.Status, got)
	}
	// The invitation names no redirect URL: the usual target, the portal's home.
	wantText(t, "finishing the sign-up", bob.submit(form, signUpForm, map[string]string{"password": goodPassword}),
		http.StatusOK, "You're signed in as bob@example.com.")
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "bob's public_metadata", u.PublicMetadata, `{"beta":true}`)
}

type paginatedInvitations struct {
	Data []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"data"`
	TotalCount int `json:"total_count"`
}

// ignore_existing invites an address that has an account: the link leads
// to sign-in, and signing in accepts the invitation, merging its metadata
// into the account's.
func TestInvitationLinkOfAnAccountSignsIn(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"password": goodPassword, "public_metadata": map[string]any{"plan": "free", "beta": true}}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "ada@example.com"}, nil),
		http.StatusUnprocessableEntity, "form_identifier_exists")
	var created struct {
		URL string `json:"url"`
	}
	api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "ada@example.com",
		"ignore_existing": true, "notify": false, "public_metadata": map[string]any{"plan": "pro"}, "redirect_url": appURL}, &created)
	b := newBrowser(t, p)
	pg := b.get(created.URL)
	if pg.Status != http.StatusOK || pg.Doc.Find(signInForm).Length() != 1 || !strings.HasPrefix(pg.URL.Path, "/sign-in") {
		t.Fatalf("the link of an account: status %d at %s, want sign-in", pg.Status, pg.URL)
	}
	pw := b.submit(pg, signInForm, map[string]string{"identifier": "ada@example.com"})
	wantHandBack(t, b.submit(pw, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "ada's public_metadata", u.PublicMetadata, `{"plan":"pro","beta":true}`)
}

// Someone else signing in on a browser where an invitee once opened a link
// goes on to the app as usual; the invitation stays pending for its invitee.
func TestLeftoverInvitationDoesNotStopAnotherSignIn(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	var created struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "bob@example.com"}, &created); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
	}
	shared := newBrowser(t, p)
	shared.get(p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link()) // bob looks, and leaves

	wantHandBack(t, signIn(t, shared, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	var inv struct {
		Status string `json:"status"`
	}
	var list []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if r := api(t, p, http.MethodGet, "/v1/invitations", nil, &list); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/invitations: %d %s", r.Status, r.Body)
	}
	for _, l := range list {
		if l.ID == created.ID {
			inv.Status = l.Status
		}
	}
	if inv.Status != "pending" {
		t.Errorf("bob's invitation is %q after ada signed in, want pending", inv.Status)
	}
}

// Clerk's Go SDK invites several addresses in one request: all or none
// (one address with an account refuses the lot, naming it), each invitee
// gets their own link, and the app's webhook handler hears
// invitation.created and then invitation.revoked, verified by Svix's
// library, with no link in the data.
func TestClerkSDKBulkInvitesAndWebhooksHearThem(t *testing.T) {
	secret := webhook.NewSecret()
	rcv := newHookReceiver(t, secret)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": rcv.srv.URL + "/clerk", "PORTAL_WEBHOOK_SECRET": secret,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	invites := invitation.NewClient(clerkConfig(p))
	ctx := context.Background()
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}

	_, err := invites.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{
		{EmailAddress: "bob@example.com"}, {EmailAddress: "ada@example.com"}}})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	if !strings.Contains(err.Error(), "Invitation 2 of 2: ada@example.com already has an account") {
		t.Errorf("refusal %v does not name the invitation at fault", err)
	}
	if list, err := invites.List(ctx, &invitation.ListParams{}); err != nil || list.TotalCount != 0 {
		t.Fatalf("after a refused bulk request: %+v, %v; want no invitations", list, err)
	}

	got, err := invites.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{
		{EmailAddress: "bob@example.com", PublicMetadata: raw(`{"team":"blue"}`)},
		{EmailAddress: "carol@example.com", ExpiresInDays: clerk.Int64(3), TemplateSlug: str("invitation")}}})
	if err != nil || len(got.Invitations) != 2 {
		t.Fatalf("BulkCreate = %+v, %v", got, err)
	}
	for i, want := range []string{"bob@example.com", "carol@example.com"} {
		inv := got.Invitations[i]
		if inv.EmailAddress != want || inv.Status != "pending" || !strings.HasPrefix(inv.URL, p.URL+"/invitation?ticket=") {
			t.Errorf("invitation %d = %+v", i, inv)
			continue
		}
		if link := p.SMTP.WaitFor(t, want, mailWait).Link(); link != inv.URL {
			t.Errorf("%s was emailed %q, want their invitation's url %q", want, link, inv.URL)
		}
		ev := rcv.waitFor("invitation.created", func(d map[string]any) bool { return d["id"] == inv.ID })
		var data map[string]any
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data["object"] != "invitation" || data["email_address"] != want || data["status"] != "pending" || data["url"] != nil {
			t.Errorf("invitation.created data %s", ev.Data)
		}
	}
	jsonEqual(t, "bob's public_metadata", got.Invitations[0].PublicMetadata, `{"team":"blue"}`)
	if exp := got.Invitations[1].ExpiresAt; exp == nil || !aboutNow(p, *exp, 3*24*time.Hour) {
		t.Errorf("carol's expires_at %v, want in 3 days", exp)
	}

	if _, err := invites.Revoke(ctx, got.Invitations[1].ID); err != nil {
		t.Fatal(err)
	}
	rcv.waitFor("invitation.revoked", func(d map[string]any) bool {
		return d["id"] == got.Invitations[1].ID && d["status"] == "revoked"
	})

	_, err = invites.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{
		{EmailAddress: "dave@example.com", TemplateSlug: str("welcome")}}})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/invitations/bulk", map[string]any{"email_address": "x@example.com"}, nil),
		http.StatusBadRequest, "request_body_invalid")
}

// A followed invitation link is remembered for a day — long enough to come
// back to the sign-up form the next morning — or until the invitation
// expires, if that is sooner; the restricted sign-up still works then. The
// link vouches for the address only for an emailed link's lifetime
// (REQ-OTP-02) after it was followed: a day later, on a computer someone
// else may use, the address is verified by a code like any other. Within
// that time no code is asked.
func TestInvitationLinkIsRememberedForADay(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "restricted"}})
	link := func(email string, days int) string {
		var created struct {
			URL string `json:"url"`
		}
		if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": email,
			"expires_in_days": days, "notify": false}, &created); r.Status != http.StatusOK {
			t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
		}
		return created.URL
	}
	bob := newBrowser(t, p)
	opened := bob.getRaw(link("bob@example.com", 30))
	if ck := opened.setCookie("__app_invitation"); ck == nil || ck.MaxAge != 24*3600 {
		t.Fatalf("a 30-day invitation's link kept %+v, want a day", ck)
	}
	carol := newBrowser(t, p)
	carolLink := link("carol@example.com", 1)
	clock.Advance(20 * time.Hour)
	// (within a second: expiry times are kept to the millisecond)
	if ck := carol.getRaw(carolLink).setCookie("__app_invitation"); ck == nil || ck.MaxAge < 4*3600-1 || ck.MaxAge > 4*3600 {
		t.Errorf("a link opened 4 hours before its invitation expires kept %+v, want 4 hours", ck)
	}

	// Bob comes back 20 hours after opening the link (his browser still
	// has the cookie) and signs up.
	form := bob.get("/sign-up?email_address=bob%40example.com")
	if form.Status != http.StatusOK || form.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("the sign-up form 20 hours later: %d\n%s", form.Status, form.text())
	}
	verify := bob.submit(form, signUpForm, map[string]string{"password": goodPassword})
	wantText(t, "signing up 20 hours later", verify, http.StatusOK, "Verify your email")
	code := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Code()
	wantText(t, "the code 20 hours later", bob.submit(verify, verifyForm, map[string]string{"code": code}),
		http.StatusOK, "You're signed in as bob@example.com.")

	// Followed 9 minutes before signing up: no code.
	dave := newBrowser(t, p)
	dave.get(link("dave@example.com", 30))
	clock.Advance(9 * time.Minute)
	form = dave.get("/sign-up?email_address=dave%40example.com")
	wantText(t, "signing up 9 minutes after following the link", dave.submit(form, signUpForm,
		map[string]string{"password": goodPassword}), http.StatusOK, "You're signed in as dave@example.com.")
	// Followed 11 minutes before: a code.
	erin := newBrowser(t, p)
	erin.get(link("erin@example.com", 30))
	clock.Advance(11 * time.Minute)
	form = erin.get("/sign-up?email_address=erin%40example.com")
	wantCodeStep(t, "signing up 11 minutes after following the link", erin.submit(form, signUpForm,
		map[string]string{"password": goodPassword}))
}
