// Package restrict decides which identifiers may sign up and sign in: the
// operator's allowlist and blocklist (Clerk's "Restrictions") and the
// refusal of email subaddresses (ada+spam@example.com) at sign-up.
//
// A decision depends only on the identifier typed, never on an account, so
// a refusal at the sign-in identifier step says nothing about who has one.
package restrict

import (
	"fmt"
	"strings"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/user"
)

// List is a parsed allowlist or blocklist.
type List struct {
	emails, domains, phones, usernames map[string]bool
}

// ParseList reads entries: a full email address (ada@example.com), a domain
// written @example.com (addresses at exactly that domain), a phone number
// in any form package phone accepts (national forms read in region), or a
// username. Digits without a "+" that form both a valid national number
// and a valid username count as both. An entry that is none of these is an
// error naming it.
func ParseList(entries []string, region string) (*List, error) {
	l := &List{emails: map[string]bool{}, domains: map[string]bool{}, phones: map[string]bool{}, usernames: map[string]bool{}}
	for _, raw := range entries {
		if err := l.add(strings.TrimSpace(raw), region); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *List) add(s, region string) error {
	const forms = "write ada@example.com, @example.com, +14155550100 or a username"
	switch {
	case s == "":
		return nil
	case strings.HasPrefix(s, "@"):
		d := strings.ToLower(s[1:])
		if _, err := notify.ValidAddress("x@" + d); err != nil || d == "" || strings.Contains(d, "@") {
			return fmt.Errorf("%q is not a domain (%s)", s, forms)
		}
		l.domains[d] = true
	case strings.Contains(s, "@"):
		v, err := notify.ValidAddress(s)
		if err != nil {
			return fmt.Errorf("%q is not an email address (%s)", s, forms)
		}
		l.emails[user.NormalizeEmail(v)] = true
	case looksLikePhone(s):
		n, perr := phone.Parse(s, region)
		u, uerr := user.NormalizeUsername(s)
		if perr != nil && uerr != nil {
			msg := perr.Error()
			if e, ok := apperr.As(perr); ok {
				msg = e.Message
			}
			return fmt.Errorf("%q is not a phone number: %s (%s)", s, msg, forms)
		}
		if perr == nil {
			l.phones[n.E164] = true
		}
		if uerr == nil {
			l.usernames[u] = true
		}
	default:
		u, err := user.NormalizeUsername(s)
		if err != nil {
			return fmt.Errorf("%q is not an email address, @domain, phone number or username (%s)", s, forms)
		}
		l.usernames[u] = true
	}
	return nil
}

// looksLikePhone: written only with what phone numbers are written with,
// starting like one.
func looksLikePhone(s string) bool {
	if !(s[0] == '+' || s[0] == '(' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || strings.ContainsRune("+-()./ ", r)) {
			return false
		}
	}
	return true
}

// Empty reports whether l has no entries.
func (l *List) Empty() bool {
	return l == nil || len(l.emails)+len(l.domains)+len(l.phones)+len(l.usernames) == 0
}

// covers reports whether l has entries for identifiers of kind.
func (l *List) covers(kind string) bool {
	if l == nil {
		return false
	}
	switch kind {
	case user.Email:
		return len(l.emails)+len(l.domains) > 0
	case user.Phone:
		return len(l.phones) > 0
	case user.Username:
		return len(l.usernames) > 0
	}
	return false
}

// Matches reports whether the identifier of kind (user.Email, user.Phone,
// user.Username) with canonical value (an address, E.164, a username) is
// on l. Emails and domains compare without regard to case.
func (l *List) Matches(kind, value string) bool {
	if l == nil {
		return false
	}
	switch kind {
	case user.Email:
		v := user.NormalizeEmail(value)
		at := strings.LastIndexByte(v, '@')
		return l.emails[v] || at >= 0 && l.domains[v[at+1:]]
	case user.Phone:
		return l.phones[value]
	case user.Username:
		return l.usernames[strings.ToLower(value)]
	}
	return false
}

// Rules are an instance's restrictions. A nil *Rules restricts nothing.
type Rules struct {
	Allow *List // when not empty, only identifiers on it (see Check)
	Block *List
	// BlockSubaddresses refuses new email addresses whose local part has
	// a "+".
	BlockSubaddresses bool
}

// New parses the allowlist and blocklist; errors name the list.
func New(allow, block []string, region string, blockSubaddresses bool) (*Rules, error) {
	a, err := ParseList(allow, region)
	if err != nil {
		return nil, fmt.Errorf("allowlist: %w", err)
	}
	b, err := ParseList(block, region)
	if err != nil {
		return nil, fmt.Errorf("blocklist: %w", err)
	}
	return &Rules{Allow: a, Block: b, BlockSubaddresses: blockSubaddresses}, nil
}

// Check decides whether an identifier may join an account: refused when it
// is on the blocklist, or when the allowlist has entries of its kind
// (addresses and domains for emails) and it matches none. An allowlist of
// addresses alone thus leaves usernames alone; AllowsAny requires a new
// account to have an allowed identifier of some kind. The error's Field is
// kind.
func (r *Rules) Check(kind, value string) *apperr.Error {
	if r == nil {
		return nil
	}
	if r.Block.Matches(kind, value) || r.Allow.covers(kind) && !r.Allow.Matches(kind, value) {
		return ErrRefused(kind)
	}
	return nil
}

// CheckSignIn decides whether someone may sign in with an identifier they
// typed: only the blocklist applies there. The allowlist governs who may
// join (Check, CheckNew, AllowsAny); an account that exists — made before
// the list, through the Backend API or by an organization invitation —
// keeps signing in. The error's Field is kind.
func (r *Rules) CheckSignIn(kind, value string) *apperr.Error {
	if r == nil || !r.Block.Matches(kind, value) {
		return nil
	}
	return ErrRefused(kind)
}

// Blocked reports whether any of ids is on the blocklist: an account that
// holds one may not sign in, whichever way in it uses (a passkey, a
// provider, another identifier).
func (r *Rules) Blocked(ids ...Identifier) bool {
	if r == nil {
		return false
	}
	for _, id := range ids {
		if id.Value != "" && r.Block.Matches(id.Kind, id.Value) {
			return true
		}
	}
	return false
}

// CheckNew is Check for an identifier joining an account (sign-up, or
// added on /user), which also refuses email subaddresses when configured.
func (r *Rules) CheckNew(kind, value string) *apperr.Error {
	if r == nil {
		return nil
	}
	if kind == user.Email && r.BlockSubaddresses {
		local, _, _ := strings.Cut(value, "@")
		if strings.Contains(local, "+") {
			return ErrSubaddress()
		}
	}
	return r.Check(kind, value)
}

// Identifier is one identifier of a new account.
type Identifier struct{ Kind, Value string }

// AllowsAny reports whether a new account with ids may exist under the
// allowlist: with one in force, at least one of ids must be on it, so an
// allowlist of addresses cannot be passed by signing up with a phone
// number or username alone. Empty values are ignored.
func (r *Rules) AllowsAny(ids ...Identifier) bool {
	if r == nil || r.Allow.Empty() {
		return true
	}
	for _, id := range ids {
		if id.Value != "" && r.Allow.Matches(id.Kind, id.Value) {
			return true
		}
	}
	return false
}

// ErrRefused is the refusal of an identifier of kind, whichever list
// refused it (which one is the operator's business). Field is kind.
func ErrRefused(kind string) *apperr.Error {
	switch kind {
	case user.Phone:
		return apperr.Field(apperr.Invalid, kind, "This phone number can't be used to sign up or sign in here.").T("error.restrict.phone")
	case user.Username:
		return apperr.Field(apperr.Invalid, kind, "This username can't be used to sign up or sign in here.").T("error.restrict.username")
	}
	return apperr.Field(apperr.Invalid, user.Email, "This email address can't be used to sign up or sign in here.").T("error.restrict.email")
}

// ErrSubaddress refuses an address with a "+" in its local part.
func ErrSubaddress() *apperr.Error {
	return apperr.Field(apperr.Invalid, user.Email,
		`Email addresses with a "+" can't be used here. Use your address without the + part.`).T("error.restrict.subaddress")
}

// ErrNoneAllowed refuses a new account none of whose identifiers is on the
// allowlist; field is the form field to show it on.
func ErrNoneAllowed(field string) *apperr.Error {
	return apperr.Field(apperr.Invalid, field,
		"Sign-up here is limited to approved email addresses, phone numbers and usernames.").T("error.restrict.none_allowed")
}
