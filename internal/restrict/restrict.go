// Package restrict decides which identifiers may sign up and sign in: the
// operator's allowlist and blocklist (Clerk's "Restrictions") and the
// refusal of email subaddresses (ada+spam@example.com) at sign-up. The
// lists come from the configuration and from the Backend API
// (/v1/allowlist_identifiers, /v1/blocklist_identifiers; Service), whose
// entries the store keeps and every decision reads afresh.
//
// A decision about a typed identifier depends only on it, never on an
// account, so a refusal at the sign-in identifier step says nothing about
// who has one; UserBlocked alone judges an account, once it has proved
// who it is.
package restrict

import (
	"context"
	"fmt"
	"strings"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/user"
)

// KindDomain is the kind of Key a domain entry (@example.com) has; the
// other kinds are user.Email, user.Phone and user.Username.
const KindDomain = "domain"

// Key is one thing an entry matches, in canonical form: an address
// (user.Email, lower-cased), a domain (KindDomain, lower-cased, without
// the @), a number (user.Phone, E.164) or a username (user.Username,
// lower-cased). Most entries have one key; digits that are both a number
// and a username have two.
type Key struct{ Kind, Value string }

// KeysOf are the keys an identifier of kind (user.Email, user.Phone,
// user.Username) with canonical value is on a list by: an address also by
// its domain.
func KeysOf(kind, value string) []Key {
	switch kind {
	case user.Email:
		v := user.NormalizeEmail(value)
		keys := []Key{{user.Email, v}}
		if at := strings.LastIndexByte(v, '@'); at >= 0 {
			keys = append(keys, Key{KindDomain, v[at+1:]})
		}
		return keys
	case user.Phone:
		return []Key{{user.Phone, value}}
	case user.Username:
		return []Key{{user.Username, strings.ToLower(value)}}
	}
	return nil
}

// Entry is one parsed entry of a list.
type Entry struct {
	// Identifier is the entry as the Backend API shows it: the address,
	// *@domain (Clerk's way of writing a domain), the number in E.164 or
	// the username, lower-cased; digits that count as both a number and a
	// username, as typed.
	Identifier string
	// Type is Clerk's identifier_type: email_address (domains too),
	// phone_number, or username (Portal's own).
	Type string
	Keys []Key
}

const forms = "write ada@example.com, @example.com, +14155550100 or a username"

// ParseEntry reads one entry: a full email address (ada@example.com), a
// domain written @example.com or *@example.com (addresses at exactly that
// domain), a phone number in any form package phone accepts (national
// forms read in region), or a username. Digits without a "+" that form
// both a valid national number and a valid username count as both. An
// entry that is none of these is an error naming it; so is an empty one.
func ParseEntry(raw, region string) (Entry, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return Entry{}, fmt.Errorf("the entry is empty (%s)", forms)
	case strings.HasPrefix(s, "@"), strings.HasPrefix(s, "*@"):
		d := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "*"), "@"))
		if _, err := notify.ValidAddress("x@" + d); err != nil || d == "" || strings.Contains(d, "@") {
			return Entry{}, fmt.Errorf("%q is not a domain (%s)", s, forms)
		}
		return Entry{Identifier: "*@" + d, Type: user.Email, Keys: []Key{{KindDomain, d}}}, nil
	case strings.Contains(s, "@"):
		v, err := notify.ValidAddress(s)
		if err != nil {
			return Entry{}, fmt.Errorf("%q is not an email address (%s)", s, forms)
		}
		v = user.NormalizeEmail(v)
		return Entry{Identifier: v, Type: user.Email, Keys: []Key{{user.Email, v}}}, nil
	case looksLikePhone(s):
		n, perr := phone.Parse(s, region)
		u, uerr := user.NormalizeUsername(s)
		switch {
		case perr == nil && uerr == nil:
			return Entry{Identifier: u, Type: user.Phone, Keys: []Key{{user.Phone, n.E164}, {user.Username, u}}}, nil
		case perr == nil:
			return Entry{Identifier: n.E164, Type: user.Phone, Keys: []Key{{user.Phone, n.E164}}}, nil
		case uerr == nil:
			return Entry{Identifier: u, Type: user.Username, Keys: []Key{{user.Username, u}}}, nil
		}
		msg := perr.Error()
		if e, ok := apperr.As(perr); ok {
			msg = e.Message
		}
		return Entry{}, fmt.Errorf("%q is not a phone number: %s (%s)", s, msg, forms)
	default:
		u, err := user.NormalizeUsername(s)
		if err != nil {
			return Entry{}, fmt.Errorf("%q is not an email address, @domain, phone number or username (%s)", s, forms)
		}
		return Entry{Identifier: u, Type: user.Username, Keys: []Key{{user.Username, u}}}, nil
	}
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

// List is a parsed allowlist or blocklist from the configuration.
type List struct {
	keys  map[Key]bool
	kinds map[string]int // how many keys of each kind
}

// ParseList reads entries as ParseEntry does, skipping empty ones (a
// trailing comma in the setting).
func ParseList(entries []string, region string) (*List, error) {
	l := &List{keys: map[Key]bool{}, kinds: map[string]int{}}
	for _, raw := range entries {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		e, err := ParseEntry(raw, region)
		if err != nil {
			return nil, err
		}
		for _, k := range e.Keys {
			if !l.keys[k] {
				l.keys[k] = true
				l.kinds[k.Kind]++
			}
		}
	}
	return l, nil
}

// Empty reports whether l has no entries.
func (l *List) Empty() bool { return l == nil || len(l.keys) == 0 }

// Has reports whether k is on l.
func (l *List) Has(k Key) bool { return l != nil && l.keys[k] }

// hasKind reports whether l has keys of kind.
func (l *List) hasKind(kind string) bool { return l != nil && l.kinds[kind] > 0 }

// Matches reports whether the identifier of kind (user.Email, user.Phone,
// user.Username) with canonical value (an address, E.164, a username) is
// on l. Emails and domains compare without regard to case.
func (l *List) Matches(kind, value string) bool {
	for _, k := range KeysOf(kind, value) {
		if l.Has(k) {
			return true
		}
	}
	return false
}

// Source is where the entries the operator adds through the Backend API
// are kept (the store). Every decision reads it afresh, so an entry added
// or removed on one machine counts on all of them at once.
type Source interface {
	// StoredRestrictions reports which of keys are on the stored lists and
	// which kinds of key the stored allowlist has.
	StoredRestrictions(ctx context.Context, keys []Key) (Found, error)
	UserSource
}

// UserSource judges an account against the stored blocklist.
type UserSource interface {
	// StoredBlocklistHolds reports whether any identifier of the user is
	// on the stored blocklist (an address by itself or its domain).
	StoredBlocklistHolds(ctx context.Context, userID string) (bool, error)
}

// Found is what a Source holds of some keys.
type Found struct {
	Allowed, Blocked map[Key]bool
	// AllowKinds are the kinds of key the stored allowlist has, whatever
	// was asked.
	AllowKinds map[string]bool
}

// Rules are an instance's restrictions: the lists from the configuration
// and, with Stored, the entries added through the Backend API, which
// count exactly as configured ones do. A nil *Rules restricts nothing.
//
// The allowlist is in force when it has any entry, configured or stored;
// each kind of identifier is judged against the entries of its own kind
// (see Check), and a new account needs one listed identifier (AllowsAny).
type Rules struct {
	Allow *List // configured; see Check
	Block *List
	// BlockSubaddresses refuses new email addresses whose local part has
	// a "+".
	BlockSubaddresses bool
	// Stored holds the entries added at run time; nil: the configured
	// lists alone.
	Stored Source
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

// view is what both sources say of some keys.
type view struct {
	r     *Rules
	found Found
}

// look reads what the stored lists hold of the identifiers' keys, in one
// query.
func (r *Rules) look(ctx context.Context, ids ...Identifier) (view, error) {
	v := view{r: r}
	if r.Stored == nil {
		return v, nil
	}
	var keys []Key
	for _, id := range ids {
		if id.Value != "" {
			keys = append(keys, KeysOf(id.Kind, id.Value)...)
		}
	}
	f, err := r.Stored.StoredRestrictions(ctx, keys)
	if err != nil {
		return v, fmt.Errorf("restrict: read the stored lists: %w", err)
	}
	v.found = f
	return v, nil
}

func (v view) blocked(kind, value string) bool {
	for _, k := range KeysOf(kind, value) {
		if v.r.Block.Has(k) || v.found.Blocked[k] {
			return true
		}
	}
	return false
}

func (v view) allowed(kind, value string) bool {
	for _, k := range KeysOf(kind, value) {
		if v.r.Allow.Has(k) || v.found.Allowed[k] {
			return true
		}
	}
	return false
}

// covers reports whether the allowlist has entries for identifiers of
// kind: addresses and domains for emails.
func (v view) covers(kind string) bool {
	has := func(k string) bool { return v.r.Allow.hasKind(k) || v.found.AllowKinds[k] }
	if kind == user.Email {
		return has(user.Email) || has(KindDomain)
	}
	return has(kind)
}

// allowEmpty reports whether the allowlist has no entries at all.
func (v view) allowEmpty() bool { return v.r.Allow.Empty() && len(v.found.AllowKinds) == 0 }

// Check decides whether an identifier may join an account: refused when it
// is on the blocklist, or when the allowlist has entries of its kind
// (addresses and domains for emails) and it matches none. An allowlist of
// addresses alone thus leaves usernames alone; AllowsAny requires a new
// account to have an allowed identifier of some kind. The refusal's Field
// is kind; err is a failure to read the stored lists.
func (r *Rules) Check(ctx context.Context, kind, value string) (refusal *apperr.Error, err error) {
	if r == nil {
		return nil, nil
	}
	v, err := r.look(ctx, Identifier{kind, value})
	if err != nil {
		return nil, err
	}
	if v.blocked(kind, value) || v.covers(kind) && !v.allowed(kind, value) {
		return ErrRefused(kind), nil
	}
	return nil, nil
}

// CheckSignIn decides whether someone may sign in with an identifier they
// typed: only the blocklist applies there. The allowlist governs who may
// join (Check, CheckNew, AllowsAny); an account that exists — made before
// the list, through the Backend API or by an organization invitation —
// keeps signing in. The refusal's Field is kind.
func (r *Rules) CheckSignIn(ctx context.Context, kind, value string) (refusal *apperr.Error, err error) {
	if r == nil {
		return nil, nil
	}
	v, err := r.look(ctx, Identifier{kind, value})
	if err != nil || !v.blocked(kind, value) {
		return nil, err
	}
	return ErrRefused(kind), nil
}

// UserBlocked reports whether an account holds an identifier on the
// blocklist: such an account may not sign in, whichever way in it uses (a
// passkey, a provider, another identifier). ids loads the account's
// identifiers, asked for only when the configured blocklist has entries;
// the stored one is judged by in (the caller's transaction, which may
// hold an account not yet committed), or Stored when in is nil.
func (r *Rules) UserBlocked(ctx context.Context, in UserSource, userID string, ids func() ([]Identifier, error)) (bool, error) {
	if r == nil {
		return false, nil
	}
	if !r.Block.Empty() {
		list, err := ids()
		if err != nil {
			return false, err
		}
		for _, id := range list {
			if id.Value != "" && r.Block.Matches(id.Kind, id.Value) {
				return true, nil
			}
		}
	}
	if r.Stored == nil {
		return false, nil
	}
	if in == nil {
		in = r.Stored
	}
	held, err := in.StoredBlocklistHolds(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("restrict: read the stored blocklist: %w", err)
	}
	return held, nil
}

// CheckNew is Check for an identifier joining an account (sign-up, or
// added on /user), which also refuses email subaddresses when configured.
func (r *Rules) CheckNew(ctx context.Context, kind, value string) (refusal *apperr.Error, err error) {
	if r == nil {
		return nil, nil
	}
	if kind == user.Email && r.BlockSubaddresses {
		local, _, _ := strings.Cut(value, "@")
		if strings.Contains(local, "+") {
			return ErrSubaddress(), nil
		}
	}
	return r.Check(ctx, kind, value)
}

// Identifier is one identifier of a new account.
type Identifier struct{ Kind, Value string }

// AllowsAny reports whether a new account with ids may exist under the
// allowlist: with one in force, at least one of ids must be on it, so an
// allowlist of addresses cannot be passed by signing up with a phone
// number or username alone. Empty values are ignored.
func (r *Rules) AllowsAny(ctx context.Context, ids ...Identifier) (bool, error) {
	if r == nil {
		return true, nil
	}
	v, err := r.look(ctx, ids...)
	if err != nil {
		return false, err
	}
	if v.allowEmpty() {
		return true, nil
	}
	for _, id := range ids {
		if id.Value != "" && v.allowed(id.Kind, id.Value) {
			return true, nil
		}
	}
	return false, nil
}

// CheckAccount judges the identifiers of a new account together, with one
// read of the stored lists: each as Check does (the refusal names the
// first refused), then AllowsAny (ErrNoneAllowed on no field). Sign-up
// runs it again as the account is made, so that an entry added or removed
// since the form was sent counts.
func (r *Rules) CheckAccount(ctx context.Context, ids ...Identifier) (refusal *apperr.Error, err error) {
	if r == nil {
		return nil, nil
	}
	v, err := r.look(ctx, ids...)
	if err != nil {
		return nil, err
	}
	listed := v.allowEmpty()
	for _, id := range ids {
		if id.Value == "" {
			continue
		}
		if v.blocked(id.Kind, id.Value) || v.covers(id.Kind) && !v.allowed(id.Kind, id.Value) {
			return ErrRefused(id.Kind), nil
		}
		listed = listed || v.allowed(id.Kind, id.Value)
	}
	if !listed {
		return ErrNoneAllowed(""), nil
	}
	return nil, nil
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
