package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/waitlistentry"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

const (
	waitlistForm   = `form[action="/waitlist"]`
	joinedWaitlist = "You're on the waitlist"
)

// waitlistEntryJSON is a waitlist entry as the Backend API answers it.
type waitlistEntryJSON struct {
	Object       string `json:"object"`
	ID           string `json:"id"`
	EmailAddress string `json:"email_address"`
	Status       string `json:"status"`
	Invitation   *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		URL    string `json:"url"`
	} `json:"invitation"`
}

// Clerk's Go SDK (waitlistentry) creates and lists waitlist entries, the
// rest of the API (invite, reject, delete) answers in Clerk's shapes, on
// an instance in public mode: the operator may fill the list in any mode.
// An endpoint subscribed to waitlistEntry.created and .updated hears both.
func TestClerkSDKManagesTheWaitlist(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	entries := waitlistentry.NewClient(clerkConfig(p))
	ctx := context.Background()

	var ep endpointJSON
	rcv := &hookReceiver{}
	if r := api(t, p, http.MethodPost, "/v1/webhooks/endpoints", map[string]any{"url": newHookServer(t, rcv),
		"event_types": []string{"waitlistEntry.created", "waitlistEntry.updated"}}, &ep); r.Status != http.StatusOK {
		t.Fatalf("an endpoint for the waitlist's events: %d %s", r.Status, r.Body)
	}
	rcv.use(t, ep.Secret)

	bob, err := entries.Create(ctx, &waitlistentry.CreateParams{EmailAddress: " Bob@Example.com", Notify: clerk.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if bob.Object != "waitlist_entry" || !strings.HasPrefix(bob.ID, "wle_") || bob.EmailAddress != "bob@example.com" ||
		bob.Status != "pending" || bob.Invitation != nil || !aboutNow(p, bob.CreatedAt, 0) || bob.UpdatedAt != bob.CreatedAt {
		t.Errorf("created = %+v", bob)
	}
	// Entries are listed by when they were made, then by ID (random):
	// carol joins a moment after bob, so the order below is theirs and
	// not, by a tie in the same millisecond, their IDs'.
	time.Sleep(2 * time.Millisecond)
	carol, err := entries.Create(ctx, &waitlistentry.CreateParams{EmailAddress: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if m := p.SMTP.WaitFor(t, "carol@example.com", mailWait); m.Subject != "You're on the Portal waitlist" || m.Link() != "" {
		t.Errorf("carol's confirmation (notify defaults to true): %q\n%s", m.Subject, m.Text)
	}
	// An address on the list answers its entry, as Clerk's does.
	if again, err := entries.Create(ctx, &waitlistentry.CreateParams{EmailAddress: "bob@example.com"}); err != nil || again.ID != bob.ID {
		t.Errorf("creating bob again = %+v, %v; want his entry", again, err)
	}
	for _, m := range p.SMTP.Messages() {
		if slices.Contains(m.To, "bob@example.com") {
			t.Error("bob was emailed: notify=false, then already on the list")
		}
	}
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"skip_password_requirement": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	_, err = entries.Create(ctx, &waitlistentry.CreateParams{EmailAddress: "ada@example.com"})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	_, err = entries.Create(ctx, &waitlistentry.CreateParams{EmailAddress: "not an address"})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")

	list, err := entries.List(ctx, &waitlistentry.ListParams{})
	if err != nil || list.TotalCount != 2 || len(list.WaitlistEntries) != 2 || list.WaitlistEntries[0].ID != carol.ID ||
		list.WaitlistEntries[1].ID != bob.ID {
		t.Fatalf("List = %+v, %v; want carol then bob", list, err)
	}
	for name, tc := range map[string]struct {
		params waitlistentry.ListParams
		want   []string
	}{
		"page":          {waitlistentry.ListParams{ListParams: listPage(1, 1)}, []string{bob.ID}},
		"query":         {waitlistentry.ListParams{Query: str("BOB")}, []string{bob.ID}},
		"query by ID":   {waitlistentry.ListParams{Query: str(carol.ID)}, []string{carol.ID}},
		"by address":    {waitlistentry.ListParams{OrderBy: str("email_address")}, []string{bob.ID, carol.ID}},
		"by address, -": {waitlistentry.ListParams{OrderBy: str("-email_address")}, []string{carol.ID, bob.ID}},
		"pending":       {waitlistentry.ListParams{Statuses: []string{"pending"}}, []string{carol.ID, bob.ID}},
		"invited, none": {waitlistentry.ListParams{Statuses: []string{"invited", "completed"}}, nil},
		"oldest first":  {waitlistentry.ListParams{OrderBy: str("created_at")}, []string{bob.ID, carol.ID}},
	} {
		got, err := entries.List(ctx, &tc.params)
		var ids []string
		if got != nil {
			for _, e := range got.WaitlistEntries {
				ids = append(ids, e.ID)
			}
		}
		if err != nil || !slices.Equal(ids, tc.want) {
			t.Errorf("List (%s) = %v, %v; want %v", name, ids, err, tc.want)
		}
	}
	_, err = entries.List(ctx, &waitlistentry.ListParams{Statuses: []string{"accepted"}})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = entries.List(ctx, &waitlistentry.ListParams{OrderBy: str("status")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")

	// The object, key by key, as Clerk's.
	r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+bob.ID+"/invite", map[string]any{}, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &shape); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range shape {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"created_at", "email_address", "id", "invitation", "is_locked", "object", "status", "updated_at"}; !slices.Equal(keys, want) {
		t.Errorf("waitlist entry keys %v, want %v", keys, want)
	}
	if string(shape["is_locked"]) != "false" {
		t.Errorf("is_locked = %s", shape["is_locked"])
	}
	var invited waitlistEntryJSON
	_ = json.Unmarshal(r.Body, &invited)
	if invited.Status != "invited" || invited.Invitation == nil || !strings.HasPrefix(invited.Invitation.ID, "inv_") ||
		invited.Invitation.Status != "pending" || invited.Invitation.URL != "" {
		t.Errorf("invited = %s", r.Body)
	}
	m := p.SMTP.WaitFor(t, "bob@example.com", mailWait)
	if m.Subject != "You're off the waitlist: join Portal" || !strings.HasPrefix(m.Link(), p.URL+"/invitation?ticket=") {
		t.Errorf("bob's invitation email: %q, link %q", m.Subject, m.Link())
	}
	// The invitation is an application invitation like any other.
	var pending paginatedInvitations
	api(t, p, http.MethodGet, "/v1/invitations?status=pending&paginated=true", nil, &pending)
	if pending.TotalCount != 1 || pending.Data[0].ID != invited.Invitation.ID {
		t.Errorf("pending invitations %+v, want bob's", pending)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/waitlist_entries/"+bob.ID+"/invite", nil, nil),
		http.StatusBadRequest, "duplicate_record")
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/waitlist_entries/wle_missing/invite", nil, nil),
		http.StatusNotFound, "resource_not_found")

	var rejected waitlistEntryJSON
	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+bob.ID+"/reject", nil, &rejected); r.Status != http.StatusOK ||
		rejected.Status != "rejected" || rejected.Invitation == nil || rejected.Invitation.Status != "revoked" {
		t.Errorf("reject: %d %s", r.Status, r.Body)
	}
	if again := newBrowser(t, p).get(m.Link()); again.Status != http.StatusGone {
		t.Errorf("the rejected entry's link: status %d, want 410", again.Status)
	}

	var gone struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Deleted bool   `json:"deleted"`
	}
	if r := api(t, p, http.MethodDelete, "/v1/waitlist_entries/"+carol.ID, nil, &gone); r.Status != http.StatusOK ||
		gone.ID != carol.ID || gone.Object != "waitlist_entry" || !gone.Deleted {
		t.Errorf("delete: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodDelete, "/v1/waitlist_entries/"+carol.ID, nil, nil), http.StatusNotFound, "resource_not_found")
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/waitlist_entries/"+carol.ID+"/reject", nil, nil), http.StatusNotFound, "resource_not_found")
	wantAPIError(t, apiCall(t, p, http.MethodGet, "/v1/waitlist_entries", "", nil), http.StatusUnauthorized,
		"authorization_header_missing")

	p.WebhookWorker.Wake()
	created := rcv.waitFor("waitlistEntry.created", func(d map[string]any) bool { return d["id"] == bob.ID })
	var data waitlistEntryJSON
	if err := json.Unmarshal(created.Data, &data); err != nil || data.Object != "waitlist_entry" || data.Status != "pending" {
		t.Errorf("waitlistEntry.created data %s", created.Data)
	}
	rcv.waitFor("waitlistEntry.updated", func(d map[string]any) bool { return d["id"] == bob.ID && d["status"] == "rejected" })
}

// The whole journey on a waitlist instance: a stranger sent to sign up
// lands on the waiting list with the app's redirect kept, leaves their
// address (a form post with its CSRF token) and reads the confirmation;
// the operator lists and invites them through the Backend API; the email
// carries the invitation link, which opens sign-up for that address; they
// sign up and land signed in; the entry now reads completed.
func TestWaitlistJourney(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "waitlist"}})
	entries := waitlistentry.NewClient(clerkConfig(p))
	ctx := context.Background()

	bob := newBrowser(t, p)
	signUp := bob.getRaw(withRedirect("/sign-up", appURL))
	if want := "/waitlist?redirect_url=" + url.QueryEscape(appURL); signUp.Status != http.StatusSeeOther ||
		signUp.Header.Get("Location") != want {
		t.Fatalf("/sign-up without an invitation: %d to %q, want 303 to %q", signUp.Status, signUp.Header.Get("Location"), want)
	}
	if si := bob.get(withRedirect("/sign-in", appURL)); si.Doc.Find(`a[href^="/sign-up"]`).Length() != 0 ||
		si.Doc.Find(`a[href="/waitlist?redirect_url=`+url.QueryEscape(appURL)+`"]`).Length() != 1 {
		t.Errorf("the sign-in page does not point to the waitlist:\n%s", si.Body)
	}
	form := bob.get(signUp.Header.Get("Location"))
	if form.Status != http.StatusOK || form.Doc.Find(waitlistForm).Length() != 1 {
		t.Fatalf("/waitlist: status %d\n%s", form.Status, form.text())
	}
	input := form.Doc.Find(waitlistForm + ` input[name="email_address"]`)
	if typ, _ := input.Attr("type"); typ != "email" || form.Doc.Find(waitlistForm+` button[type="submit"]`).Length() != 1 {
		t.Errorf("the form's email field is type %q, or there is no submit button", typ)
	}
	joined := bob.submit(form, waitlistForm, map[string]string{"email_address": "Bob@example.com"})
	wantText(t, "joining", joined, http.StatusOK, joinedWaitlist, "We'll email Bob@example.com")
	if a := joined.Doc.Find(`a[href="/sign-in?redirect_url=` + url.QueryEscape(appURL) + `"]`); a.Length() != 1 {
		t.Errorf("the confirmation's sign-in link lost the redirect")
	}
	if m := p.SMTP.WaitFor(t, "bob@example.com", mailWait); m.Subject != "You're on the Portal waitlist" {
		t.Errorf("confirmation email %q", m.Subject)
	}

	list, err := entries.List(ctx, &waitlistentry.ListParams{Statuses: []string{"pending"}})
	if err != nil || list.TotalCount != 1 || list.WaitlistEntries[0].EmailAddress != "bob@example.com" {
		t.Fatalf("the operator's list = %+v, %v", list, err)
	}
	entry := list.WaitlistEntries[0]
	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries/"+entry.ID+"/invite", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	link := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link()
	if !strings.HasPrefix(link, p.URL+"/invitation?ticket=") {
		t.Fatalf("the invitation email's link %q", link)
	}

	b := newBrowser(t, p) // another device: the link alone opens sign-up
	upForm := b.get(link)
	if upForm.Status != http.StatusOK || upForm.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("the link: status %d at %s, want the sign-up form:\n%s", upForm.Status, upForm.URL, upForm.text())
	}
	if v, _ := upForm.Doc.Find(signUpForm + ` input[name="email_address"]`).Attr("value"); v != "bob@example.com" {
		t.Errorf("the address field holds %q", v)
	}
	// The link came through bob's mailbox: no code. No redirect_url came
	// with it: the portal's own page greets him.
	done := b.submit(upForm, signUpForm, map[string]string{"password": goodPassword})
	wantText(t, "finishing sign-up", done, http.StatusOK, "You're signed in as bob@example.com")
	if b.cookie("__session") == "" {
		t.Error("no __session after sign-up")
	}

	var after struct {
		Data []waitlistEntryJSON `json:"data"`
	}
	api(t, p, http.MethodGet, "/v1/waitlist_entries?status=completed", nil, &after)
	if len(after.Data) != 1 || after.Data[0].ID != entry.ID || after.Data[0].Status != "completed" ||
		after.Data[0].Invitation == nil || after.Data[0].Invitation.Status != "accepted" {
		t.Errorf("bob's entry after sign-up: %+v", after.Data)
	}
	for _, act := range []string{"invite", "reject"} {
		wantAPIError(t, api(t, p, http.MethodPost, "/v1/waitlist_entries/"+entry.ID+"/"+act, nil, nil),
			http.StatusConflict, "waitlist_entry_already_completed")
	}
}

// The page reveals nothing: an address on the list already and one with
// an account get the same confirmation as a new one, and neither a new
// entry nor an email. Bad input comes back with what was typed and the
// reason, as does an address the blocklist refuses (the same words as
// sign-up); joins are limited per network, and a cross-site post is
// refused.
func TestWaitlistPageRevealsNothing(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "waitlist",
		"PORTAL_BLOCKLIST": "mallory@example.com"}})
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"skip_password_requirement": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, p)
	join := func(email string) *page {
		t.Helper()
		return b.submit(b.get("/waitlist"), waitlistForm, map[string]string{"email_address": email})
	}
	first := join("bob@example.com")
	p.SMTP.WaitFor(t, "bob@example.com", mailWait)
	norm := func(pg *page, email string) string { return normalise(pg.Body, email) }
	for _, email := range []string{"BOB@example.com", "ada@example.com"} {
		pg := join(email)
		if pg.Status != first.Status || norm(pg, email) != norm(first, "bob@example.com") {
			t.Errorf("joining as %s answers differently:\n%s\nwant\n%s", email, norm(pg, email), norm(first, "bob@example.com"))
		}
	}
	var all struct {
		Data       []waitlistEntryJSON `json:"data"`
		TotalCount int                 `json:"total_count"`
	}
	api(t, p, http.MethodGet, "/v1/waitlist_entries", nil, &all)
	if all.TotalCount != 1 || all.Data[0].EmailAddress != "bob@example.com" {
		t.Errorf("entries %+v, want bob's alone", all)
	}
	if msgs := p.SMTP.Messages(); len(msgs) != 1 || !slices.Equal(msgs[0].To, []string{"bob@example.com"}) {
		t.Errorf("%d emails, want bob's one confirmation", len(msgs))
	}

	for typed, want := range map[string]string{
		"":                    "Enter your email address.",
		"bob@":                "Enter a valid email address, like name@example.com.",
		"mallory@example.com": "This email address can't be used to sign up or sign in here.",
	} {
		pg := join(typed)
		if got := fieldErrorOf(pg, "email_address"); pg.Status != http.StatusUnprocessableEntity || got != want {
			t.Errorf("joining with %q: status %d, error %q; want 422 %q", typed, pg.Status, got, want)
		}
		if v, _ := pg.Doc.Find(waitlistForm + ` input[name="email_address"]`).Attr("value"); v != typed {
			t.Errorf("joining with %q: the field holds %q", typed, v)
		}
	}

	// A forged post from another site is refused, and joins nothing.
	forged := newBrowser(t, p).postForm(http.MethodPost, "/waitlist", url.Values{"email_address": {"eve@example.com"}},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if forged.Status != http.StatusForbidden {
		t.Errorf("cross-site post: status %d, want 403", forged.Status)
	}

	// Per network, as every costly form: the 31st join in ten minutes waits.
	limited := false
	for i := range 40 {
		if pg := join("someone" + string(rune('a'+i%26)) + "@example.com"); pg.Status == http.StatusTooManyRequests {
			limited = true
			if pg.Doc.Find(waitlistForm).Length() != 1 {
				t.Error("the rate-limited answer has no form to try again")
			}
			break
		}
	}
	if !limited {
		t.Error("40 joins from one network were all taken")
	}
}

// /waitlist is waitlist mode's page only: elsewhere it is not found, GET
// and POST, while the Backend API's list works in every mode.
func TestWaitlistPageOnlyInWaitlistMode(t *testing.T) {
	for _, mode := range []string{"public", "restricted"} {
		p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": mode}})
		b := newBrowser(t, p)
		if pg := b.get("/waitlist"); pg.Status != http.StatusNotFound {
			t.Errorf("%s: GET /waitlist status %d", mode, pg.Status)
		}
		posted := b.postForm(http.MethodPost, "/waitlist", url.Values{"_csrf": {b.csrf()}, "email_address": {"bob@example.com"}}, nil)
		if posted.Status != http.StatusNotFound {
			t.Errorf("%s: POST /waitlist status %d", mode, posted.Status)
		}
		if si := b.get("/sign-in"); si.Doc.Find(`a[href^="/waitlist"]`).Length() != 0 {
			t.Errorf("%s: the sign-in page links to the waitlist", mode)
		}
		if r := api(t, p, http.MethodGet, "/v1/waitlist_entries", nil, nil); r.Status != http.StatusOK {
			t.Errorf("%s: GET /v1/waitlist_entries: %d %s", mode, r.Status, r.Body)
		}
	}
}

// POST /v1/waitlist_entries/bulk, Clerk's (not in clerk-sdk-go v2.4.2):
// an array in, the entries out in the same order — an address on the
// list already answers its entry and gets no second email — all or none,
// the refusal naming the entry at fault.
func TestWaitlistBulkCreate(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var bob waitlistEntryJSON
	if r := api(t, p, http.MethodPost, "/v1/waitlist_entries", map[string]any{"email_address": "bob@example.com",
		"notify": false}, &bob); r.Status != http.StatusOK {
		t.Fatalf("create bob: %d %s", r.Status, r.Body)
	}
	var got []waitlistEntryJSON
	r := api(t, p, http.MethodPost, "/v1/waitlist_entries/bulk", []map[string]any{
		{"email_address": "Carol@Example.com"}, {"email_address": "bob@example.com"},
		{"email_address": "dave@example.com", "notify": false}}, &got)
	if r.Status != http.StatusOK || len(got) != 3 {
		t.Fatalf("bulk: %d %s", r.Status, r.Body)
	}
	if got[0].EmailAddress != "carol@example.com" || got[1].ID != bob.ID || got[2].EmailAddress != "dave@example.com" ||
		got[0].Object != "waitlist_entry" || got[0].Status != "pending" || !strings.HasPrefix(got[2].ID, "wle_") {
		t.Errorf("bulk answered %s", r.Body)
	}
	// carol's confirmation (notify defaults to true) arrives; nobody else's.
	p.SMTP.WaitFor(t, "carol@example.com", mailWait)
	for _, m := range p.SMTP.Messages() {
		if slices.Contains(m.To, "bob@example.com") || slices.Contains(m.To, "dave@example.com") {
			t.Errorf("%v was emailed", m.To)
		}
	}

	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"skip_password_requirement": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/waitlist_entries/bulk", []map[string]any{
		{"email_address": "erin@example.com"}, {"email_address": "ada@example.com"}}, nil),
		http.StatusUnprocessableEntity, "form_identifier_exists")
	if msg := e.Errors[0].Message + " " + e.Errors[0].LongMessage; !strings.Contains(msg, "Entry 2 of 2") {
		t.Errorf("refusal %+v does not name the entry at fault", e.Errors[0])
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/waitlist_entries/bulk", []map[string]any{
		{"email_address": "erin@example.com"}, {"email_address": "ERIN@example.com"}}, nil),
		http.StatusUnprocessableEntity, "form_param_duplicate")
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/waitlist_entries/bulk", map[string]any{"email_address": "erin@example.com"}, nil),
		http.StatusBadRequest, "request_body_invalid")
	var list struct {
		TotalCount int `json:"total_count"`
	}
	if api(t, p, http.MethodGet, "/v1/waitlist_entries", nil, &list); list.TotalCount != 3 {
		t.Errorf("%d entries after the refusals, want bob, carol and dave", list.TotalCount)
	}
}
