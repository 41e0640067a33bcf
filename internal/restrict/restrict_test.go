package restrict_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/user"
)

func mustList(t *testing.T, region string, entries ...string) *restrict.List {
	t.Helper()
	l, err := restrict.ParseList(entries, region)
	if err != nil {
		t.Fatalf("ParseList(%q): %v", entries, err)
	}
	return l
}

func TestListMatches(t *testing.T) {
	l := mustList(t, "US", "Ada@Example.com", "@Corp.example", "+44 20 7946 0958", "(415) 555-0100", "Grace_H", " 4155550199 ")
	for _, tc := range []struct {
		kind, value string
		want        bool
	}{
		{user.Email, "ada@example.com", true},
		{user.Email, "ADA@EXAMPLE.COM", true}, // case-insensitive, local part too
		{user.Email, "bob@example.com", false},
		{user.Email, "anyone@corp.example", true},
		{user.Email, "Anyone@CORP.example", true},
		{user.Email, "anyone@sub.corp.example", false}, // exactly that domain
		{user.Email, "anyone@corp.example.org", false},
		{user.Email, "corp.example", false},
		{user.Phone, "+442079460958", true}, // compared in E.164
		{user.Phone, "+14155550100", true},  // national form read in the region
		{user.Phone, "+14155550199", true},  // digits only: a number…
		{user.Username, "4155550199", true}, // …and a username
		{user.Phone, "+14155550101", false},
		{user.Username, "grace_h", true},
		{user.Username, "GRACE_H", true},
		{user.Username, "grace", false},
		{user.Email, "grace_h@example.com", false}, // kinds don't mix
		{user.Username, "ada@example.com", false},
		{"web3_wallet", "ada@example.com", false},
	} {
		if got := l.Matches(tc.kind, tc.value); got != tc.want {
			t.Errorf("Matches(%s, %q) = %v, want %v", tc.kind, tc.value, got, tc.want)
		}
	}
}

func TestParseListRefusesBadEntries(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{"@", `"@" is not a domain`},
		{"@exa mple.com", "is not a domain"},
		{"@a@b.com", "is not a domain"},
		{"ada@", `"ada@" is not an email address`},
		{"ada@@example.com", "is not an email address"},
		{"+1 999", "is not a phone number: This phone number isn't valid."},
		{"+1 800 555 0100", "is not a phone number: Phone numbers of this type can't receive codes."},
		{"ab", `"ab" is not an email address, @domain, phone number or username`},
		{"no spaces", "is not an email address, @domain, phone number or username"},
	} {
		_, err := restrict.ParseList([]string{"ok@example.com", tc.entry}, "")
		if err == nil {
			t.Errorf("ParseList(%q) accepted it", tc.entry)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "@example.com, +14155550100 or a username") {
			t.Errorf("ParseList(%q) = %q, want it to contain %q and the accepted forms", tc.entry, err, tc.want)
		}
	}
	// Without a default region a national number is no phone number, but
	// digits alone are still a valid username.
	l := mustList(t, "", "4155550100")
	if l.Matches(user.Phone, "+14155550100") || !l.Matches(user.Username, "4155550100") {
		t.Error("4155550100 without a region should be a username only")
	}
	if !mustList(t, "").Empty() || !(*restrict.List)(nil).Empty() || mustList(t, "", "adal").Empty() {
		t.Error("Empty is wrong")
	}
}

func TestCheck(t *testing.T) {
	rules, err := restrict.New(
		[]string{"@corp.example", "+14155550100"},
		[]string{"mallory@corp.example", "badname"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind, value string
		wantID      string // "" = allowed
	}{
		{user.Email, "ada@corp.example", ""},
		{user.Email, "Mallory@Corp.example", "error.restrict.email"}, // blocklist wins over the allowlist
		{user.Email, "ada@elsewhere.example", "error.restrict.email"},
		{user.Phone, "+14155550100", ""},
		{user.Phone, "+14155550101", "error.restrict.phone"},
		// The allowlist has no usernames, so it leaves them alone at
		// sign-in; the blocklist does not.
		{user.Username, "ada", ""},
		{user.Username, "BadName", "error.restrict.username"},
	} {
		e := check(t, rules.Check, tc.kind, tc.value)
		switch {
		case tc.wantID == "" && e != nil:
			t.Errorf("Check(%s, %q) = %v, want allowed", tc.kind, tc.value, e)
		case tc.wantID != "" && e == nil:
			t.Errorf("Check(%s, %q) allowed it, want %s", tc.kind, tc.value, tc.wantID)
		case e != nil && (e.ID != tc.wantID || e.Field != tc.kind):
			t.Errorf("Check(%s, %q) = %s on %q, want %s on %q", tc.kind, tc.value, e.ID, e.Field, tc.wantID, tc.kind)
		}
	}
	var none *restrict.Rules
	if check(t, none.Check, user.Email, "a@b.example") != nil || check(t, none.CheckNew, user.Email, "a+b@b.example") != nil ||
		!allowsAny(t, none) {
		t.Error("nil Rules must restrict nothing")
	}
}

func TestCheckNewBlocksSubaddresses(t *testing.T) {
	for _, tc := range []struct {
		block bool
		value string
		want  string
	}{
		{true, "ada+news@example.com", "error.restrict.subaddress"},
		{true, "ada@example.com", ""},
		{true, "ada@plus+domain.example", ""}, // only the local part counts
		{false, "ada+news@example.com", ""},
	} {
		rules, err := restrict.New(nil, nil, "", tc.block)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if e := check(t, rules.CheckNew, user.Email, tc.value); e != nil {
			got = e.ID
			if e.Field != user.Email {
				t.Errorf("field = %q", e.Field)
			}
		}
		if got != tc.want {
			t.Errorf("block=%v CheckNew(%q) = %q, want %q", tc.block, tc.value, got, tc.want)
		}
		// Signing in with such an address is not refused: the account
		// exists already.
		if e := check(t, rules.Check, user.Email, tc.value); e != nil {
			t.Errorf("Check(%q) = %v, want allowed", tc.value, e)
		}
	}
}

func TestAllowsAny(t *testing.T) {
	rules, err := restrict.New([]string{"@corp.example"}, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	email := func(v string) restrict.Identifier { return restrict.Identifier{Kind: user.Email, Value: v} }
	phone := restrict.Identifier{Kind: user.Phone, Value: "+14155550100"}
	name := restrict.Identifier{Kind: user.Username, Value: "ada"}
	for _, tc := range []struct {
		ids  []restrict.Identifier
		want bool
	}{
		{[]restrict.Identifier{email("ada@corp.example"), name}, true},
		{[]restrict.Identifier{phone, name}, false}, // no way around the allowlist
		{[]restrict.Identifier{email(""), name}, false},
		{nil, false},
	} {
		if got := allowsAny(t, rules, tc.ids...); got != tc.want {
			t.Errorf("AllowsAny(%v) = %v, want %v", tc.ids, got, tc.want)
		}
	}
	open, _ := restrict.New(nil, []string{"@evil.example"}, "", false)
	if !allowsAny(t, open, phone) {
		t.Error("without an allowlist every sign-up passes AllowsAny")
	}
}

// At sign-in only the blocklist counts: the allowlist decides who joins, and
// an account that exists outside it (made through the Backend API, by an
// invitation, before the list) keeps its way in. Blocked catches an account
// holding a listed identifier whatever was typed.
func TestCheckSignInAndBlocked(t *testing.T) {
	rules, err := restrict.New([]string{"@corp.example"}, []string{"mallory@corp.example", "@spam.example"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind, value string
		refused     bool
	}{
		{user.Email, "ada@corp.example", false},
		{user.Email, "ada@elsewhere.example", false}, // outside the allowlist: signs in all the same
		{user.Email, "Mallory@corp.example", true},
		{user.Email, "eve@spam.example", true},
		{user.Username, "mallory", false},
	} {
		if e := check(t, rules.CheckSignIn, tc.kind, tc.value); (e != nil) != tc.refused || e != nil && e.Field != tc.kind {
			t.Errorf("CheckSignIn(%s, %q) = %v, want refused=%v", tc.kind, tc.value, e, tc.refused)
		}
	}
	id := func(kind, value string) restrict.Identifier { return restrict.Identifier{Kind: kind, Value: value} }
	if !blocked(t, rules, id(user.Username, "mallory"), id(user.Email, "eve@spam.example")) {
		t.Error("an account holding a blocked address is not Blocked")
	}
	if blocked(t, rules, id(user.Username, "mallory"), id(user.Email, "ada@elsewhere.example"), id(user.Email, "")) {
		t.Error("an account with no blocked identifier is Blocked")
	}
	var none *restrict.Rules
	if check(t, none.CheckSignIn, user.Email, "eve@spam.example") != nil || blocked(t, none, id(user.Email, "eve@spam.example")) {
		t.Error("nil Rules must restrict nothing")
	}
}

// check runs a decision with no stored lists, which cannot fail.
func check(t *testing.T, f func(context.Context, string, string) (*apperr.Error, error), kind, value string) *apperr.Error {
	t.Helper()
	e, err := f(t.Context(), kind, value)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func allowsAny(t *testing.T, r *restrict.Rules, ids ...restrict.Identifier) bool {
	t.Helper()
	ok, err := r.AllowsAny(t.Context(), ids...)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// blocked is UserBlocked for an account holding ids.
func blocked(t *testing.T, r *restrict.Rules, ids ...restrict.Identifier) bool {
	t.Helper()
	ok, err := r.UserBlocked(t.Context(), nil, "user_x", func() ([]restrict.Identifier, error) { return ids, nil })
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// One entry is one identifier as the Backend API shows it, of Clerk's type,
// and the keys it matches by; Clerk's *@domain is a domain in the
// configuration as well.
func TestParseEntry(t *testing.T) {
	for _, tc := range []struct {
		raw, identifier, typ string
		keys                 []restrict.Key
	}{
		{"Ada@Example.COM", "ada@example.com", user.Email, []restrict.Key{{Kind: user.Email, Value: "ada@example.com"}}},
		{"@Corp.example", "*@corp.example", user.Email, []restrict.Key{{Kind: restrict.KindDomain, Value: "corp.example"}}},
		{"*@corp.example", "*@corp.example", user.Email, []restrict.Key{{Kind: restrict.KindDomain, Value: "corp.example"}}},
		{"(415) 555-0100", "+14155550100", user.Phone, []restrict.Key{{Kind: user.Phone, Value: "+14155550100"}}},
		{"4155550100", "4155550100", user.Phone, []restrict.Key{{Kind: user.Phone, Value: "+14155550100"},
			{Kind: user.Username, Value: "4155550100"}}},
		{"Grace_H", "grace_h", user.Username, []restrict.Key{{Kind: user.Username, Value: "grace_h"}}},
	} {
		e, err := restrict.ParseEntry(tc.raw, "US")
		if err != nil {
			t.Errorf("ParseEntry(%q): %v", tc.raw, err)
			continue
		}
		if e.Identifier != tc.identifier || e.Type != tc.typ || !slices.Equal(e.Keys, tc.keys) {
			t.Errorf("ParseEntry(%q) = %+v, want %s (%s) %v", tc.raw, e, tc.identifier, tc.typ, tc.keys)
		}
	}
	for _, raw := range []string{"*@", "*@a@b.example", "*corp.example", ""} {
		if e, err := restrict.ParseEntry(raw, "US"); err == nil {
			t.Errorf("ParseEntry(%q) = %+v, want an error", raw, e)
		}
	}
	if !mustList(t, "", "*@corp.example").Matches(user.Email, "Ada@CORP.example") {
		t.Error("*@domain in the configuration does not match an address at the domain")
	}
	got := restrict.KeysOf(user.Email, "Ada@Corp.Example")
	want := []restrict.Key{{Kind: user.Email, Value: "ada@corp.example"}, {Kind: restrict.KindDomain, Value: "corp.example"}}
	if !slices.Equal(got, want) {
		t.Errorf("KeysOf(address) = %v, want %v", got, want)
	}
}
