package restrict_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

// env is the lists' service on a real store, with the real invitation
// service, a mailbox at the notifier boundary, and the rules every check
// uses: the configured lists and the stored ones together.
type env struct {
	t     *testing.T
	url   string
	st    *store.Store
	svc   *restrict.Service
	rules *restrict.Rules
	clock *clockwork.FakeClock
	mail  *mailbox
}

func onEngines(t *testing.T, allow, block []string, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) {
		st, clock := domaintest.Open(t, url)
		rules, err := restrict.New(allow, block, "US", false)
		if err != nil {
			t.Fatal(err)
		}
		rules.Stored = st.Q
		mail := &mailbox{}
		inv := &invitation.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[invitation.Repo](st), Notifier: mail,
			BaseURL: "https://accounts.example.com"}
		svc := &restrict.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[restrict.Repo](st), Invitations: inv,
			Region: "US", Configured: rules}
		test(t, &env{t: t, url: url, st: st, svc: svc, rules: rules, clock: clock, mail: mail})
	})
}

func (e *env) add(list, raw string) *restrict.Stored {
	e.t.Helper()
	got, err := e.svc.Add(e.t.Context(), list, raw, false)
	if err != nil {
		e.t.Fatalf("Add(%s, %q): %v", list, raw, err)
	}
	e.clock.Advance(time.Second)
	return got
}

func (e *env) remove(entry *restrict.Stored) {
	e.t.Helper()
	if err := e.svc.Delete(e.t.Context(), entry.List, entry.ID); err != nil {
		e.t.Fatal(err)
	}
}

// refusal is the answer of rules to a new identifier (CheckNew): its
// message ID, "" when allowed.
func refusal(t *testing.T, rules *restrict.Rules, kind, value string) string {
	t.Helper()
	e, err := rules.CheckNew(t.Context(), kind, value)
	if err != nil {
		t.Fatal(err)
	}
	if e == nil {
		return ""
	}
	return e.ID
}

func signInRefused(t *testing.T, rules *restrict.Rules, kind, value string) bool {
	t.Helper()
	e, err := rules.CheckSignIn(t.Context(), kind, value)
	if err != nil {
		t.Fatal(err)
	}
	return e != nil
}

// The entries are read and normalised as PORTAL_ALLOWLIST's, shown as
// Clerk shows them, and of the type Clerk names.
func TestAddNormalises(t *testing.T) {
	onEngines(t, nil, nil, func(t *testing.T, e *env) {
		for _, tc := range []struct{ raw, identifier, typ, prefix string }{
			{" Ada@Example.COM ", "ada@example.com", user.Email, "alid_"},
			{"@Corp.example", "*@corp.example", user.Email, "alid_"},
			{"*@partner.example", "*@partner.example", user.Email, "alid_"},
			{"+44 20 7946 0958", "+442079460958", user.Phone, "alid_"},
			{"(415) 555-0100", "+14155550100", user.Phone, "alid_"}, // national form, read in the region
			{"Grace_H", "grace_h", user.Username, "alid_"},
			{"4155550199", "4155550199", user.Phone, "alid_"}, // a number and a username: shown as typed
		} {
			got := e.add(restrict.Allowlist, tc.raw)
			if got.Identifier != tc.identifier || got.Type != tc.typ || !strings.HasPrefix(got.ID, tc.prefix) ||
				got.List != restrict.Allowlist || got.InvitationID != "" {
				t.Errorf("Add(%q) = %+v, want %s of type %s, ID %s…", tc.raw, got, tc.identifier, tc.typ, tc.prefix)
			}
			o := got.ToObject()
			if o.Object != "allowlist_identifier" || o.Identifier != tc.identifier || o.IdentifierType != tc.typ ||
				o.CreatedAt != got.CreatedAt.UnixMilli() || o.InvitationID != nil {
				t.Errorf("object of %q = %+v", tc.raw, o)
			}
		}
		if b := e.add(restrict.Blocklist, "mallory@example.com"); !strings.HasPrefix(b.ID, "blid_") ||
			b.ToObject().Object != "blocklist_identifier" {
			t.Errorf("blocklist entry %+v", b)
		}

		list, total, err := e.svc.List(t.Context(), restrict.Allowlist, 0, 0)
		if err != nil || total != 7 || len(list) != 7 || list[0].Identifier != "4155550199" || list[6].Identifier != "ada@example.com" {
			t.Fatalf("List = %d of %d (%v), want all 7 newest first", len(list), total, err)
		}
		if list, total, _ := e.svc.List(t.Context(), restrict.Allowlist, 2, 6); total != 7 || len(list) != 1 {
			t.Errorf("List(limit 2, offset 6) = %d of %d, want the last one of 7", len(list), total)
		}
		_, _, err = e.svc.List(t.Context(), restrict.Allowlist, 501, 0)
		domaintest.WantErr(t, "limit 501", err, apperr.Invalid, "")
	})
}

// Bad entries are refused with what PORTAL_ALLOWLIST would say, naming the
// accepted forms; nothing is stored.
func TestAddRefusesBadEntries(t *testing.T) {
	onEngines(t, nil, nil, func(t *testing.T, e *env) {
		for _, tc := range []struct{ raw, want string }{
			{"ada@", `"ada@" is not an email address`},
			{"*@exa mple.com", `"*@exa mple.com" is not a domain`},
			{"+1 999", `"+1 999" is not a phone number: This phone number isn't valid.`},
			{"no spaces", "is not an email address, @domain, phone number or username"},
			{"   ", "The entry is empty"},
		} {
			_, err := e.svc.Add(t.Context(), restrict.Blocklist, tc.raw, false)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.Invalid || ae.Field != "identifier" || !strings.Contains(ae.Message, tc.want) ||
				!strings.Contains(ae.Message, "+14155550100 or a username") {
				t.Errorf("Add(%q) = %v, want invalid identifier saying %q and the forms", tc.raw, err, tc.want)
			}
		}
		if _, err := e.svc.Add(t.Context(), restrict.Blocklist, "", false); !errors.Is(err, restrict.ErrMissing) {
			t.Errorf("no identifier: %v, want ErrMissing", err)
		}
		if _, total, _ := e.svc.List(t.Context(), restrict.Blocklist, 0, 0); total != 0 {
			t.Errorf("%d entries stored from bad input", total)
		}
	})
}

// An identifier a list holds already, stored or configured, in whatever
// form it is written, is refused as such; the other list may hold it.
func TestAddRefusesDuplicates(t *testing.T) {
	onEngines(t, nil, []string{"@spam.example"}, func(t *testing.T, e *env) {
		first := e.add(restrict.Allowlist, "ada@example.com")
		e.add(restrict.Allowlist, "*@corp.example")
		e.add(restrict.Allowlist, "4155550100") // a number and a username
		for _, tc := range []struct{ list, raw, want string }{
			{restrict.Allowlist, "Ada@EXAMPLE.com", "ada@example.com is on the allowlist already (" + first.ID + ")."},
			{restrict.Allowlist, "@Corp.example", "*@corp.example is on the allowlist already"},
			{restrict.Allowlist, "+1 415-555-0100", "+14155550100 is on the allowlist already"},
			{restrict.Allowlist, "4155550100", "4155550100 is on the allowlist already"},
			{restrict.Blocklist, "*@SPAM.example", "*@spam.example is on the blocklist already, through PORTAL_BLOCKLIST."},
		} {
			_, err := e.svc.Add(t.Context(), tc.list, tc.raw, false)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.Conflict || ae.Field != "identifier" || !strings.HasPrefix(ae.Message, tc.want) {
				t.Errorf("Add(%s, %q) = %v, want a conflict saying %q", tc.list, tc.raw, err, tc.want)
			}
		}
		e.add(restrict.Blocklist, "ada@example.com") // the other list
		if _, total, _ := e.svc.List(t.Context(), restrict.Allowlist, 0, 0); total != 3 {
			t.Errorf("allowlist has %d entries, want 3", total)
		}
	})
}

// A stored blocklist entry counts in every check the configured ones do,
// from the moment it is added, and not after it is removed; an entry
// another process adds (another store on the same database: another
// machine) counts at once too, as nothing is cached.
func TestStoredBlocklistCountsAtOnce(t *testing.T) {
	onEngines(t, nil, []string{"admin"}, func(t *testing.T, e *env) {
		ctx := t.Context()
		u := storeUser(t, e.st, "eve@spam.example", "eve_e")
		blockedUser := func(rules *restrict.Rules) bool {
			t.Helper()
			got, err := rules.UserBlocked(ctx, nil, u.ID, func() ([]restrict.Identifier, error) {
				return identifiersOf(u), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if refusal(t, e.rules, user.Email, "eve@spam.example") != "" || signInRefused(t, e.rules, user.Email, "eve@spam.example") ||
			blockedUser(e.rules) {
			t.Fatal("refused before any entry")
		}

		// Another machine: its own pool, its own rules, the same database.
		other, _ := domaintest.Open(t, e.url)
		theirs, err := restrict.New(nil, []string{"admin"}, "US", false)
		if err != nil {
			t.Fatal(err)
		}
		theirs.Stored = other.Q

		entry := e.add(restrict.Blocklist, "*@spam.example")
		for name, rules := range map[string]*restrict.Rules{"here": e.rules, "elsewhere": theirs} {
			if got := refusal(t, rules, user.Email, "Eve@Spam.example"); got != "error.restrict.email" {
				t.Errorf("%s: a new address at the domain: %q, want refused", name, got)
			}
			if !signInRefused(t, rules, user.Email, "eve@spam.example") {
				t.Errorf("%s: signing in with it is not refused", name)
			}
			if !blockedUser(rules) {
				t.Errorf("%s: an account holding it may still sign in", name)
			}
			if refusal(t, rules, user.Email, "eve@mail.spam.example") != "" {
				t.Errorf("%s: a subdomain is refused; the entry is exactly that domain", name)
			}
			// The configured entry still counts beside the stored one.
			if refusal(t, rules, user.Username, "Admin") != "error.restrict.username" {
				t.Errorf("%s: the configured entry no longer counts", name)
			}
		}
		if e, err := e.rules.CheckAccount(ctx, restrict.Identifier{Kind: user.Email, Value: "eve@spam.example"}); err != nil ||
			e == nil || e.ID != "error.restrict.email" {
			t.Errorf("CheckAccount = %v, %v; want the address refused", e, err)
		}

		e.remove(entry)
		for name, rules := range map[string]*restrict.Rules{"here": e.rules, "elsewhere": theirs} {
			if refusal(t, rules, user.Email, "eve@spam.example") != "" || signInRefused(t, rules, user.Email, "eve@spam.example") ||
				blockedUser(rules) {
				t.Errorf("%s: still refused after the entry was removed", name)
			}
		}

		// A username entry shuts out the account too.
		e.add(restrict.Blocklist, "EVE_E")
		if !blockedUser(e.rules) || !blockedUser(theirs) {
			t.Error("an account holding a blocked username may still sign in")
		}
	})
}

// The allowlist is in force when it has any entry, configured or stored.
// With none configured, the first stored entry turns it on, for its kind;
// a new account then needs a listed identifier. Removing the last one
// turns it off again.
func TestStoredAllowlistTurnsTheListOn(t *testing.T) {
	onEngines(t, nil, nil, func(t *testing.T, e *env) {
		ctx := t.Context()
		email := func(v string) restrict.Identifier { return restrict.Identifier{Kind: user.Email, Value: v} }
		name := restrict.Identifier{Kind: user.Username, Value: "ada_l"}
		allows := func(ids ...restrict.Identifier) bool {
			t.Helper()
			ok, err := e.rules.AllowsAny(ctx, ids...)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if refusal(t, e.rules, user.Email, "bob@elsewhere.example") != "" || !allows(email("bob@elsewhere.example")) {
			t.Fatal("an empty allowlist refuses")
		}
		entry := e.add(restrict.Allowlist, "*@corp.example")
		if got := refusal(t, e.rules, user.Email, "bob@elsewhere.example"); got != "error.restrict.email" {
			t.Errorf("an address outside the stored allowlist: %q, want refused", got)
		}
		if refusal(t, e.rules, user.Email, "bob@corp.example") != "" || !allows(email("bob@corp.example"), name) {
			t.Error("an address on the stored allowlist is refused")
		}
		// Usernames are not its kind: one passes Check, but an account of
		// a username alone does not pass AllowsAny.
		if refusal(t, e.rules, user.Username, "ada_l") != "" || allows(name) {
			t.Error("the allowlist's kinds are wrong")
		}
		// The allowlist decides who joins, not who signs in.
		if signInRefused(t, e.rules, user.Email, "bob@elsewhere.example") {
			t.Error("the allowlist refuses a sign-in")
		}
		e.remove(entry)
		if refusal(t, e.rules, user.Email, "bob@elsewhere.example") != "" || !allows(name) {
			t.Error("the allowlist is still on after its last entry went")
		}
	})
}

// With a configured allowlist, a stored entry widens it: an address the
// configuration alone refuses may join once it is added.
func TestStoredAllowlistAddsToTheConfiguredOne(t *testing.T) {
	onEngines(t, []string{"@corp.example"}, nil, func(t *testing.T, e *env) {
		ctx := t.Context()
		guest := restrict.Identifier{Kind: user.Email, Value: "guest@partner.example"}
		if refusal(t, e.rules, user.Email, guest.Value) == "" {
			t.Fatal("the configured allowlist lets anyone in")
		}
		e.add(restrict.Allowlist, "Guest@Partner.example")
		if got := refusal(t, e.rules, user.Email, guest.Value); got != "" {
			t.Errorf("a stored entry: %q, want allowed", got)
		}
		if ok, err := e.rules.AllowsAny(ctx, guest); err != nil || !ok {
			t.Errorf("AllowsAny = %v, %v", ok, err)
		}
		if r, err := e.rules.CheckAccount(ctx, guest); err != nil || r != nil {
			t.Errorf("CheckAccount = %v, %v", r, err)
		}
		if refusal(t, e.rules, user.Email, "ada@corp.example") != "" || refusal(t, e.rules, user.Email, "eve@other.example") == "" {
			t.Error("the configured entries changed meaning")
		}
		// The blocklist wins over the allowlist, stored entries too.
		e.add(restrict.Blocklist, "guest@partner.example")
		if refusal(t, e.rules, user.Email, guest.Value) != "error.restrict.email" {
			t.Error("a blocked address on the allowlist may join")
		}
	})
}

// notify on an allowlisted address sends it an application invitation,
// made with the entry and linked to it; Portal invites by email only.
func TestAddNotifyInvites(t *testing.T) {
	onEngines(t, nil, nil, func(t *testing.T, e *env) {
		ctx := t.Context()
		got, err := e.svc.Add(ctx, restrict.Allowlist, "Ada@Example.com", true)
		if err != nil {
			t.Fatal(err)
		}
		if got.InvitationID == "" || got.ToObject().InvitationID == nil || *got.ToObject().InvitationID != got.InvitationID {
			t.Fatalf("entry %+v has no invitation", got)
		}
		inv, err := e.st.Q.AppInvitationByID(ctx, got.InvitationID)
		if err != nil || inv.Email != "ada@example.com" || inv.Status != invitation.Pending {
			t.Fatalf("invitation %+v (%v)", inv, err)
		}
		if sent := e.mail.all(); len(sent) != 1 || sent[0].to != "ada@example.com" || !strings.Contains(sent[0].url, "ticket=") {
			t.Errorf("sent %+v, want the invitation to ada@example.com", sent)
		}
		if types := domaintest.EventTypes(t, e.st.Q, inv.ID); len(types) != 1 || types[0] != "invitation.created" {
			t.Errorf("events of the invitation: %v", types)
		}
		if types := domaintest.EventTypes(t, e.st.Q, got.ID); len(types) != 0 {
			t.Errorf("events of the entry: %v, want none (Clerk has none)", types)
		}

		// A domain has no one to invite; a number cannot be invited here.
		if d, err := e.svc.Add(ctx, restrict.Allowlist, "*@corp.example", true); err != nil || d.InvitationID != "" {
			t.Errorf("domain with notify: %+v, %v; want added without an invitation", d, err)
		}
		_, err = e.svc.Add(ctx, restrict.Allowlist, "+14155550100", true)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Invalid || ae.Field != "notify" {
			t.Errorf("number with notify: %v, want refused on notify", err)
		}
		// An address with an account is refused as POST /v1/invitations
		// refuses it, on the identifier; nothing is kept.
		storeUser(t, e.st, "bob@example.com", "")
		_, err = e.svc.Add(ctx, restrict.Allowlist, "bob@example.com", true)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || ae.Field != "identifier" ||
			ae.Message != "bob@example.com already has an account." {
			t.Errorf("address with an account, notify: %v", err)
		}
		if n := len(e.mail.all()); n != 1 {
			t.Errorf("%d emails sent, want still 1", n)
		}
		if _, total, _ := e.svc.List(ctx, restrict.Allowlist, 0, 0); total != 2 {
			t.Errorf("%d entries, want 2", total)
		}
	})
}

// When the invitation email cannot be sent, neither the entry nor the
// invitation is kept, so that asking again works.
func TestAddNotifyFailureKeepsNothing(t *testing.T) {
	onEngines(t, nil, nil, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.mail.fail(true)
		_, err := e.svc.Add(ctx, restrict.Allowlist, "ada@example.com", true)
		if !errors.Is(err, restrict.ErrNotSent) {
			t.Fatalf("Add with a failing mailer: %v, want ErrNotSent", err)
		}
		if _, total, _ := e.svc.List(ctx, restrict.Allowlist, 0, 0); total != 0 {
			t.Errorf("%d entries kept", total)
		}
		pending, err := e.st.Q.PendingAppInvitations(ctx, "ada@example.com")
		if err != nil || len(pending) != 0 {
			t.Errorf("pending invitations %v (%v), want the unsent one revoked", pending, err)
		}
		if refusal(t, e.rules, user.Email, "bob@elsewhere.example") != "" {
			t.Error("the allowlist is on though nothing was kept")
		}
		e.mail.fail(false)
		if got, err := e.svc.Add(ctx, restrict.Allowlist, "ada@example.com", true); err != nil || got.InvitationID == "" {
			t.Errorf("asking again: %+v, %v", got, err)
		}
	})
}

// Delete removes an entry of its own list only.
func TestDelete(t *testing.T) {
	onEngines(t, nil, nil, func(t *testing.T, e *env) {
		entry := e.add(restrict.Allowlist, "ada@example.com")
		for _, tc := range []struct{ list, id string }{
			{restrict.Blocklist, entry.ID},
			{restrict.Allowlist, id.New(id.AllowlistIdentifier)},
		} {
			err := e.svc.Delete(t.Context(), tc.list, tc.id)
			domaintest.WantErr(t, "delete "+tc.list+" "+tc.id, err, apperr.NotFound, "")
		}
		e.remove(entry)
		if _, total, _ := e.svc.List(t.Context(), restrict.Allowlist, 0, 0); total != 0 {
			t.Errorf("%d entries after delete", total)
		}
	})
}

// storeUser stores an account owning email and, when given, username.
func storeUser(t *testing.T, st *store.Store, email, username string) *user.User {
	t.Helper()
	now := time.Now()
	u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now}
	add := func(kind, value string) {
		u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: kind,
			Value: value, CreatedAt: now, UpdatedAt: now, VerifiedAt: &now})
	}
	add(user.Email, email)
	u.PrimaryEmailID = u.Identifiers[0].ID
	if username != "" {
		add(user.Username, username)
	}
	if err := st.Q.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func identifiersOf(u *user.User) []restrict.Identifier {
	var out []restrict.Identifier
	for _, i := range u.Identifiers {
		out = append(out, restrict.Identifier{Kind: i.Kind, Value: i.Value})
	}
	return out
}

// mailbox keeps the invitations sent; fail, when set, refuses them.
type mailbox struct {
	mu     sync.Mutex
	sent   []sent
	failed bool
}

type sent struct{ to, url string }

func (b *mailbox) fail(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failed = on
}

func (b *mailbox) SendAppInvitation(_ context.Context, to, _ string, m invitation.Mail) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed {
		return errors.New("smtp: 451 try later")
	}
	b.sent = append(b.sent, sent{to, m.URL})
	return nil
}

func (b *mailbox) all() []sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]sent(nil), b.sent...)
}
