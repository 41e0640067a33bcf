package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"golang.org/x/text/language"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/metadata"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/page"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Limits on what the API accepts.
const (
	MaxLimit       = 500
	DefaultLimit   = 10
	maxFilterItems = 100
	maxName        = 100
	// MaxExternalID is the longest external_id taken, in bytes: it is the
	// app's own key for the user, which the app stores in a column sized
	// in bytes and puts in logs, URLs and the JWT templates' claims.
	MaxExternalID = 255
)

// Users runs the Backend API's user operations.
type Users struct {
	Clock       clockwork.Clock
	Repo        Repo
	InTx        func(ctx context.Context, fn func(Repo) error) error
	Sessions    *session.Service
	Hasher      *password.Hasher
	Policy      password.Policy
	AppName     string
	PhoneRegion string
	// Orgs takes a deleted user out of its organizations, each with its
	// organizationMembership.deleted; nil in tests without organizations.
	Orgs *org.Service
	// Factors checks and prepares an authenticator app and backup codes a
	// user brings from another system, on creation or later; nil refuses
	// them (tests).
	Factors *factors.Service
	// LegalConsent is PORTAL_LEGAL_CONSENT: as in Clerk, a user created
	// here needs legal_accepted_at, or skip_legal_checks (for users
	// brought over from elsewhere).
	LegalConsent bool
	// Passwords reports whether a password is a way to sign in here
	// (PORTAL_FACTORS): without, there is no password to mark as
	// compromised.
	Passwords bool
	// Identifiers are the kinds people type at sign-in (PORTAL_IDENTIFIERS,
	// Email, Phone and Username of it): a user made here needs one of them,
	// or they could never sign in. None set means no check (tests).
	Identifiers user.SignInOptions
	// UserAbilities are what the instance lets users do, for the user
	// objects of the events written.
	UserAbilities user.Abilities
}

// ErrLegalRequired refuses a user without legal_accepted_at on an instance
// that asks for consent, unless skip_legal_checks says to.
var ErrLegalRequired = apperr.Field(apperr.Invalid, "legal_accepted_at",
	"This instance requires consent to its legal documents: give legal_accepted_at (when the user agreed, "+
		"in RFC 3339), or skip_legal_checks: true for a user brought over from elsewhere.")

// taken names the identifier or external ID of u another user has, looked
// up after the refused insert (outside its transaction, which PostgreSQL
// has aborted); err when none is found (the same one given twice, or a
// race).
func (s *Users) taken(ctx context.Context, u *user.User, err error) error {
	what := map[string]string{user.Email: "email address", user.Phone: "phone number", user.Username: "username"}
	for _, i := range u.Identifiers {
		if _, lookErr := s.Repo.UserByIdentifier(ctx, i.Kind, i.Value); lookErr == nil {
			return apperr.Field(apperr.Conflict, i.Kind, "That "+what[i.Kind]+" is taken. Please try another.")
		}
	}
	if u.ExternalID != "" {
		if n, lookErr := s.Repo.CountUsers(ctx, UserFilter{ExternalIDs: []string{u.ExternalID}}); lookErr == nil && n > 0 {
			return errExternalIDTaken
		}
	}
	return err
}

// errExternalIDTaken refuses an external ID another user has: it is unique
// within the instance, as Clerk documents it.
var errExternalIDTaken = apperr.Field(apperr.Conflict, "external_id", "That external ID is taken. Please try another.")

// ErrUserNotFound answers for a user ID that does not exist.
var ErrUserNotFound = user.ErrNoUser

// ErrBadPassword answers verify_password when the password does not match.
var ErrBadPassword = apperr.Field(apperr.Invalid, "password", "The password is incorrect.")

func invalid(field, msg string) error { return apperr.Field(apperr.Invalid, field, msg) }

// CheckFilter fills defaults and refuses what cannot be served.
func CheckFilter(f *UserFilter) error {
	if err := checkPage(&f.Limit, &f.Offset); err != nil {
		return err
	}
	for _, list := range [][]string{f.UserIDs, f.EmailAddresses, f.PhoneNumbers, f.Usernames, f.ExternalIDs} {
		if len(list) > maxFilterItems {
			return invalid("", fmt.Sprintf("Give at most %d values per filter.", maxFilterItems))
		}
	}
	for i, e := range f.EmailAddresses {
		f.EmailAddresses[i] = user.NormalizeEmail(e)
	}
	for i, u := range f.Usernames {
		f.Usernames[i] = strings.ToLower(strings.TrimSpace(u))
	}
	if f.OrderBy == "" {
		f.OrderBy = "-created_at"
	}
	if _, ok := OrderColumns()[strings.TrimLeft(f.OrderBy, "+-")]; !ok {
		return invalid("order_by", "Order by created_at, updated_at, first_name, last_name, last_sign_in_at or last_active_at, "+
			"with - in front for descending.")
	}
	if len(f.Query) > 256 {
		return invalid("query", "The query is too long.")
	}
	return nil
}

func checkPage(limit, offset *int) error { return page.Check(limit, offset, DefaultLimit, MaxLimit) }

// List returns the users f selects.
func (s *Users) List(ctx context.Context, f UserFilter) ([]*user.User, error) {
	if err := CheckFilter(&f); err != nil {
		return nil, err
	}
	return s.Repo.ListUsers(ctx, f)
}

// Count returns how many users f selects, ignoring its page.
func (s *Users) Count(ctx context.Context, f UserFilter) (int, error) {
	if err := CheckFilter(&f); err != nil {
		return 0, err
	}
	return s.Repo.CountUsers(ctx, f)
}

// Get returns a user.
func (s *Users) Get(ctx context.Context, userID string) (*user.User, error) {
	u, err := s.Repo.UserByID(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	return u, err
}

// Metadata is the three metadata objects, each nil when not given.
type Metadata struct {
	Public, Private, Unsafe json.RawMessage
}

// CreateInput is POST /v1/users.
type CreateInput struct {
	EmailAddresses          []string
	PhoneNumbers            []string
	Username                *string
	Password                *string
	PasswordDigest          *string
	PasswordHasher          *string
	FirstName, LastName     *string
	ExternalID              *string
	SkipPasswordChecks      bool
	SkipPasswordRequirement bool
	// LegalAcceptedAt is when the user agreed to the legal documents;
	// SkipLegalChecks lets a user without it be made while consent is on.
	LegalAcceptedAt *time.Time
	SkipLegalChecks bool
	// CreatedAt is when the user signed up on the system they are imported
	// from; nil means now. It may not be in the future.
	CreatedAt *time.Time
	// Locale is the user's language, a BCP 47 tag; nil or "" leaves it
	// unknown.
	Locale *string
	// TOTPSecret and BackupCodes are the user's authenticator app (its
	// Base32 secret) and backup codes (plain or bcrypt digests) on the
	// system they are imported from; nil and none import neither.
	TOTPSecret  *string
	BackupCodes []string
	Metadata
}

// Create makes a user whose identifiers count as verified (the app vouches
// for them), with a password, an imported password digest, or neither.
func (s *Users) Create(ctx context.Context, in CreateInput) (*user.User, error) {
	now := s.Clock.Now()
	u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now}
	if in.CreatedAt != nil {
		at := in.CreatedAt.UTC().Truncate(time.Millisecond) // what the API shows and stores
		if at.After(now) {
			return nil, invalid("created_at", "created_at must not be in the future.")
		}
		u.CreatedAt = at
	}
	if in.LegalAcceptedAt != nil {
		at := in.LegalAcceptedAt.UTC()
		u.LegalAcceptedAt = &at
	} else if s.LegalConsent && !in.SkipLegalChecks {
		return nil, ErrLegalRequired
	}
	if err := s.names(u, in.FirstName, in.LastName); err != nil {
		return nil, err
	}
	if err := setLocale(u, in.Locale); err != nil {
		return nil, err
	}
	if in.ExternalID != nil {
		if err := checkExternalID(*in.ExternalID); err != nil {
			return nil, err
		}
		u.ExternalID = *in.ExternalID
	}
	if err := setMetadata(u, in.Metadata); err != nil {
		return nil, err
	}
	add := func(kind, value string) {
		u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: kind,
			Value: value, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now})
	}
	for _, raw := range in.EmailAddresses {
		v, err := notify.ValidAddress(raw)
		if err != nil {
			return nil, invalid("email_address", fmt.Sprintf("%q is not a valid email address.", raw))
		}
		add(user.Email, user.NormalizeEmail(v))
	}
	for _, raw := range in.PhoneNumbers {
		n, err := phone.Parse(raw, s.PhoneRegion)
		if err != nil {
			return nil, invalid("phone_number", fmt.Sprintf("%q is not a valid phone number.", raw))
		}
		add(user.Phone, n.E164)
	}
	if in.Username != nil && *in.Username != "" {
		v, err := user.NormalizeUsername(*in.Username)
		if err != nil {
			return nil, err
		}
		add(user.Username, v)
	}
	if len(u.Identifiers) == 0 {
		return nil, invalid("email_address", "Give the user an email address, phone number or username.")
	}
	if err := s.typeable(u); err != nil {
		return nil, err
	}
	for _, i := range u.Identifiers {
		if i.Kind == user.Email {
			u.PrimaryEmailID = i.ID
			break
		}
	}
	hash, err := s.password(ctx, u, in.Password, in.PasswordDigest, in.PasswordHasher, in.SkipPasswordChecks)
	if err != nil {
		return nil, err
	}
	if hash == "" && !in.SkipPasswordRequirement && u.PrimaryEmailID == "" && u.PrimaryPhone() == "" {
		return nil, invalid("password", "A user with only a username needs a password to sign in.")
	}
	u.PasswordHash = hash
	second, err := s.importFactors(u, in.TOTPSecret, in.BackupCodes, now)
	if err != nil {
		return nil, err
	}
	if second != nil {
		// The user is made with them, as if set up here: user.created
		// and the answer show them on.
		u.TOTP, u.BackupCodes = second.TOTP != nil, len(second.Codes)
	}
	err = s.InTx(ctx, func(r Repo) error {
		if err := r.CreateUser(ctx, u); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return apperr.Field(apperr.Conflict, "email_address",
					"That email address, phone number or username is taken. Please try another.")
			}
			return err
		}
		if err := second.Save(ctx, r); err != nil {
			return err
		}
		if err := emit(ctx, r, events.UserCreated, u.ID, u.ToObject(now, s.UserAbilities), now); err != nil {
			return err
		}
		if s.Orgs == nil {
			return nil
		}
		// Verified domains invite its addresses or suggest their organizations.
		return s.Orgs.Enroll(ctx, r, u, u.VerifiedEmails())
	})
	if apperr.CodeOf(err) == apperr.Conflict {
		return nil, s.taken(ctx, u, err)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// importFactors checks the authenticator app and backup codes u brings,
// made now or changed under its row lock (factors.Service.Import); nil when
// none.
func (s *Users) importFactors(u *user.User, secret *string, codes []string, now time.Time) (*factors.Imported, error) {
	if s.Factors != nil {
		return s.Factors.Import(u, secret, codes, now)
	}
	if secret != nil || len(codes) > 0 {
		return nil, apperr.Field(apperr.Invalid, "totp_secret", "This instance takes no second factors.").
			Coded("feature_not_enabled")
	}
	return nil, nil
}

// typeable refuses a user none of whose identifiers the instance takes at
// sign-in: a phone-only user where PORTAL_IDENTIFIERS is email would be
// made, and could never sign in. The error names the first field given and
// what to change.
func (s *Users) typeable(u *user.User) error {
	o := s.Identifiers
	if !o.Email && !o.Phone && !o.Username {
		return nil
	}
	var accepted []string
	for _, k := range []struct {
		on         bool
		kind, name string
	}{{o.Email, user.Email, "email"}, {o.Phone, user.Phone, "phone"}, {o.Username, user.Username, "username"}} {
		if !k.on {
			continue
		}
		accepted = append(accepted, k.name)
		for _, i := range u.Identifiers {
			if i.Kind == k.kind {
				return nil
			}
		}
	}
	field := map[string]string{user.Email: "email_address", user.Phone: "phone_number", user.Username: "username"}[u.Identifiers[0].Kind]
	return invalid(field, fmt.Sprintf("This user could never sign in: people sign in here with %s "+
		"(PORTAL_IDENTIFIERS), and the user has none. Give them one, or add the kind they have to PORTAL_IDENTIFIERS.",
		strings.Join(accepted, " or ")))
}

// password returns the hash to store: a new password hashed (after the
// policy unless skipped), or an imported digest as it is.
func (s *Users) password(ctx context.Context, u *user.User, pw, digest, hasher *string, skipChecks bool) (string, error) {
	switch {
	case pw != nil && digest != nil:
		return "", invalid("password", "Give either password or password_digest, not both.")
	case digest != nil:
		h := ""
		if hasher != nil {
			h = *hasher
		}
		if err := password.CheckDigest(h, *digest); err != nil {
			return "", err
		}
		return *digest, nil
	case pw != nil:
		if skipChecks {
			if *pw == "" {
				return "", invalid("password", "Enter a password.")
			}
		} else if err := s.Policy.Check(ctx, *pw, s.AppName, "portal", u.PrimaryEmail(), u.Username()); err != nil {
			return "", err
		}
		return s.Hasher.Hash(ctx, *pw)
	}
	return "", nil
}

func (s *Users) names(u *user.User, first, last *string) error {
	for _, f := range []struct {
		field string
		in    *string
		out   *string
	}{{"first_name", first, &u.FirstName}, {"last_name", last, &u.LastName}} {
		if f.in == nil {
			continue
		}
		v := strings.TrimSpace(*f.in)
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxName ||
			strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return invalid(f.field, "Use at most 100 characters, without control characters.")
		}
		*f.out = v
	}
	return nil
}

// checkExternalID refuses an external_id longer than MaxExternalID bytes or
// holding a control character (C0, DEL or C1: a line break would split
// the lines of a log or a CSV export, a NUL cuts C strings short). It is
// kept as given otherwise: "" removes it, and spaces are the app's to use.
func checkExternalID(v string) error {
	if len(v) > MaxExternalID || !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return invalid("external_id", fmt.Sprintf("external_id must be at most %d bytes of text, without control "+
			"characters such as line breaks or tabs.", MaxExternalID))
	}
	return nil
}

// setLocale sets u's locale to given, a BCP 47 tag kept in its canonical
// form ("fr-fr" is "fr-FR"), as chosen by the app (user.LocaleChosen);
// nil leaves it as it is and "" removes it. A
// tag that does not parse is refused, naming locale. Any well-formed tag is
// taken, not only the languages the portal speaks: messages fall back to
// the closest one it does, or the instance's default.
func setLocale(u *user.User, given *string) error {
	if given == nil {
		return nil
	}
	v := strings.TrimSpace(*given)
	if v == "" {
		u.Locale, u.LocaleChosen = "", false
		return nil
	}
	tag, err := language.Parse(v)
	if err != nil || len(v) > maxLocale {
		return invalid("locale", fmt.Sprintf("%q is not a language tag: give a BCP 47 tag such as fr-FR or en.", *given))
	}
	u.Locale, u.LocaleChosen = tag.String(), true
	return nil
}

// maxLocale bounds a locale's length: BCP 47 tags people use are short,
// and 35 characters is what RFC 5646 asks implementations to keep.
const maxLocale = 35

// UpdateInput is PATCH /v1/users/{id}. Metadata given here replaces the
// stored object; MergeMetadata merges.
type UpdateInput struct {
	FirstName, LastName    *string
	Username               *string
	PrimaryEmailAddressID  *string
	Password               *string
	PasswordDigest         *string
	PasswordHasher         *string
	SkipPasswordChecks     bool
	SignOutOfOtherSessions bool
	ExternalID             *string
	LegalAcceptedAt        *time.Time // when the user agreed to the legal documents
	Locale                 *string    // the user's language, a BCP 47 tag; "" removes it
	// TOTPSecret and BackupCodes are an authenticator app (its Base32
	// secret) and backup codes (plain or bcrypt digests) the user had on
	// another system, as on creation: the secret replaces the user's app,
	// the codes their backup codes; nil and none change neither.
	TOTPSecret  *string
	BackupCodes []string
	Metadata
}

// Update changes a user.
func (s *Users) Update(ctx context.Context, userID string, in UpdateInput) (*user.User, error) {
	u, err := s.change(ctx, userID, func(r Repo, u *user.User) error {
		if err := s.names(u, in.FirstName, in.LastName); err != nil {
			return err
		}
		if err := setLocale(u, in.Locale); err != nil {
			return err
		}
		if in.ExternalID != nil {
			if err := checkExternalID(*in.ExternalID); err != nil {
				return err
			}
			u.ExternalID = *in.ExternalID
		}
		if in.LegalAcceptedAt != nil {
			at := in.LegalAcceptedAt.UTC()
			u.LegalAcceptedAt = &at
		}
		if err := setMetadata(u, in.Metadata); err != nil {
			return err
		}
		if in.PrimaryEmailAddressID != nil {
			ok := false
			for _, i := range u.Identifiers {
				ok = ok || (i.ID == *in.PrimaryEmailAddressID && i.Kind == user.Email && i.Verified())
			}
			if !ok {
				return invalid("primary_email_address_id", "That is not one of the user's verified email addresses.")
			}
			u.PrimaryEmailID = *in.PrimaryEmailAddressID
		}
		if in.Username != nil {
			if err := s.setUsername(ctx, r, u, *in.Username); err != nil {
				return err
			}
		}
		// Checked against the user as it is under the row lock, stored with
		// the rest or not at all. As a new app set up on the account page,
		// it leaves the user's sessions as they are.
		second, err := s.importFactors(u, in.TOTPSecret, in.BackupCodes, s.Clock.Now())
		if err != nil {
			return err
		}
		if err := second.Save(ctx, r); err != nil {
			return err
		}
		if in.Password != nil || in.PasswordDigest != nil {
			h, err := s.password(ctx, u, in.Password, in.PasswordDigest, in.PasswordHasher, in.SkipPasswordChecks)
			if err != nil {
				return err
			}
			// A new password is not the one marked as compromised.
			u.PasswordHash, u.FailedSignIns, u.LockedUntil, u.PasswordCompromisedAt = h, 0, nil, nil
			if in.SignOutOfOtherSessions {
				return s.Sessions.RevokeUser(ctx, r, u.ID, s.Clock.Now())
			}
		}
		return nil
	})
	// Saving the row refuses only an external ID another user has (a
	// taken username is named where it is set).
	if errors.Is(err, apperr.ErrConflict) && in.ExternalID != nil {
		return nil, errExternalIDTaken
	}
	return u, err
}

func (s *Users) setUsername(ctx context.Context, r Repo, u *user.User, raw string) error {
	v, err := user.NormalizeUsername(raw)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	for _, i := range u.Identifiers {
		if i.Kind == user.Username {
			if i.Value == v {
				return nil
			}
			err = r.SetIdentifierValue(ctx, i.ID, v, now)
			return usernameTaken(err)
		}
	}
	return usernameTaken(r.CreateIdentifier(ctx, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID,
		Kind: user.Username, Value: v, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}))
}

func usernameTaken(err error) error {
	if errors.Is(err, apperr.ErrConflict) {
		return apperr.Field(apperr.Conflict, "username", "That username is taken. Please try another.")
	}
	return err
}

// MergeMetadata merges each given object into the stored one, deeply; a key
// set to null is removed (Clerk's PATCH /v1/users/{id}/metadata).
func (s *Users) MergeMetadata(ctx context.Context, userID string, in Metadata) (*user.User, error) {
	return s.change(ctx, userID, func(_ Repo, u *user.User) error {
		for _, m := range []struct {
			field string
			patch json.RawMessage
			into  *json.RawMessage
		}{{"public_metadata", in.Public, &u.PublicMetadata}, {"private_metadata", in.Private, &u.PrivateMetadata},
			{"unsafe_metadata", in.Unsafe, &u.UnsafeMetadata}} {
			if m.patch == nil {
				continue
			}
			merged, err := metadata.Patch(m.field, *m.into, m.patch)
			if err != nil {
				return err
			}
			*m.into = merged
		}
		return nil
	})
}

// Ban stops the user signing in and ends their sessions: apps see it at
// their next token refresh.
func (s *Users) Ban(ctx context.Context, userID string) (*user.User, error) {
	return s.change(ctx, userID, func(r Repo, u *user.User) error {
		u.Banned = true
		return s.Sessions.RevokeUser(ctx, r, u.ID, s.Clock.Now())
	})
}

// Unban lets the user sign in again.
func (s *Users) Unban(ctx context.Context, userID string) (*user.User, error) {
	return s.change(ctx, userID, func(_ Repo, u *user.User) error { u.Banned = false; return nil })
}

// Lock stops the user signing in, by any factor, until unlocked. Sessions
// already open go on, as with Clerk.
func (s *Users) Lock(ctx context.Context, userID string) (*user.User, error) {
	return s.change(ctx, userID, func(_ Repo, u *user.User) error { u.AdminLocked = true; return nil })
}

// Unlock lifts both an admin lock and a lockout after failed passwords.
func (s *Users) Unlock(ctx context.Context, userID string) (*user.User, error) {
	return s.change(ctx, userID, func(_ Repo, u *user.User) error {
		u.AdminLocked, u.LockedUntil, u.FailedSignIns = false, nil, 0
		return nil
	})
}

// Delete removes the user after ending their sessions.
func (s *Users) Delete(ctx context.Context, userID string) error {
	return s.InTx(ctx, func(r Repo) error {
		if err := r.LockUser(ctx, userID); err != nil {
			return notFound(err)
		}
		now := s.Clock.Now()
		// The operator's call: an organization this user alone managed
		// keeps its other members and waits for a new admin.
		if s.Orgs != nil {
			if err := s.Orgs.RemoveUser(ctx, r, userID); err != nil {
				return err
			}
		}
		if err := s.Sessions.RevokeUser(ctx, r, userID, now); err != nil {
			return err
		}
		if err := r.DeleteUser(ctx, userID); err != nil {
			return notFound(err)
		}
		return emit(ctx, r, events.UserDeleted, userID, user.DeletedObject{ID: userID, Object: "user", Deleted: true}, now)
	})
}

// Clerk's refusals of set_compromised (its errors index, users.go:
// PasswordDisabled, NoPasswordSet).
var (
	ErrPasswordDisabled = apperr.New(apperr.Forbidden,
		"Password is disabled for this instance. Cannot force a password reset.").Coded("password_disabled")
	ErrNoPasswordSet = apperr.New(apperr.Invalid,
		"This user does not have a password set for their account").Coded("no_password_set")
)

// SetPasswordCompromised marks the user's password as compromised (Clerk's
// POST /v1/users/{id}/password/set_compromised): signing in with it is
// refused until the person sets a new one, which clears the mark. A
// password marked already keeps the time it was first marked.
// revokeAllSessions ends every session of the user too, each with its
// session.revoked; otherwise sessions already open go on, as in Clerk.
// user.updated is written in the same transaction, though the user object
// shows no field for the mark (Clerk's has none either).
func (s *Users) SetPasswordCompromised(ctx context.Context, userID string, revokeAllSessions bool) (*user.User, error) {
	return s.change(ctx, userID, func(r Repo, u *user.User) error {
		if !s.Passwords {
			return ErrPasswordDisabled
		}
		if u.PasswordHash == "" {
			return ErrNoPasswordSet
		}
		now := s.Clock.Now()
		if u.PasswordCompromisedAt == nil {
			u.PasswordCompromisedAt = &now
		}
		if revokeAllSessions {
			return s.Sessions.RevokeUser(ctx, r, u.ID, now)
		}
		return nil
	})
}

// UnsetPasswordCompromised takes the mark off (Clerk's
// …/password/unset_compromised): the password signs in again. A password
// not marked is left as it is, and the answer is the user all the same.
func (s *Users) UnsetPasswordCompromised(ctx context.Context, userID string) (*user.User, error) {
	return s.change(ctx, userID, func(_ Repo, u *user.User) error {
		u.PasswordCompromisedAt = nil
		return nil
	})
}

// VerifyPassword checks a password the app collected, with the same hashing
// as sign-in. A match against an old hash upgrades it. A failure does not
// count towards the sign-in lockout (see the handler for why).
func (s *Users) VerifyPassword(ctx context.Context, userID, pw string) error {
	u, err := s.Get(ctx, userID)
	if err != nil {
		return err
	}
	if u.PasswordHash == "" {
		return apperr.Field(apperr.Invalid, "password", "This user has no password.")
	}
	ok, rehash, err := s.Hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadPassword
	}
	if rehash {
		if h, err := s.Hasher.Hash(ctx, pw); err == nil {
			_ = s.Repo.RehashPassword(ctx, u.ID, u.PasswordHash, h) // best effort: the old hash still works
		}
	}
	return nil
}

// change loads the user with its row held, applies fn, saves and emits
// user.updated, in one transaction.
func (s *Users) change(ctx context.Context, userID string, fn func(Repo, *user.User) error) (*user.User, error) {
	var out *user.User
	err := s.InTx(ctx, func(r Repo) error {
		if err := r.LockUser(ctx, userID); err != nil {
			return notFound(err)
		}
		u, err := r.UserByID(ctx, userID)
		if err != nil {
			return notFound(err)
		}
		if err := fn(r, u); err != nil {
			return err
		}
		now := s.Clock.Now()
		u.UpdatedAt = now
		if err := r.SaveUser(ctx, u); err != nil {
			return err
		}
		if out, err = r.UserByID(ctx, userID); err != nil {
			return err
		}
		return emit(ctx, r, events.UserUpdated, u.ID, out.ToObject(now, s.UserAbilities), now)
	})
	return out, err
}

func notFound(err error) error {
	if errors.Is(err, apperr.ErrNotFound) {
		return ErrUserNotFound
	}
	return err
}

func emit(ctx context.Context, r Repo, typ, objectID string, obj any, now time.Time) error {
	e, err := events.New(typ, objectID, obj, now)
	if err != nil {
		return err
	}
	return r.InsertEvent(ctx, e)
}

func setMetadata(u *user.User, m Metadata) error {
	for _, f := range []struct {
		field string
		in    json.RawMessage
		out   *json.RawMessage
	}{{"public_metadata", m.Public, &u.PublicMetadata}, {"private_metadata", m.Private, &u.PrivateMetadata},
		{"unsafe_metadata", m.Unsafe, &u.UnsafeMetadata}} {
		if f.in == nil {
			continue
		}
		obj, err := metadata.Set(f.field, f.in)
		if err != nil {
			return err
		}
		*f.out = obj
	}
	return nil
}
