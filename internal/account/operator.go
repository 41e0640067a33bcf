package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/user"
)

// What the instance's operator changes about one person's email addresses
// and phone numbers through the Backend API (/v1/email_addresses,
// /v1/phone_numbers, as Clerk's). The rules are the person's own on /user —
// one account per address, at most MaxPerKind of a kind, only a verified
// address is primary and the primary email address goes last, a way to
// sign in remains (user.CanSignIn), a number that receives second-factor
// codes is released before it is removed — with two differences: the
// operator needs no recent proof of identity (the secret key is the
// proof), and the allowlist and blocklist, which decide who may sign up
// and in, do not limit what the operator vouches for (as with POST
// /v1/users). Every change writes user.updated in its transaction.

// IdentifierChange is what the operator sets on an email address or phone
// number; nil leaves a setting as it is (a new one starts unverified).
type IdentifierChange struct {
	Verified *bool
	Primary  *bool
	// SecondFactor, for a phone number, is whether it receives the codes
	// of two-step verification (Clerk's reserved_for_second_factor).
	SecondFactor *bool
}

// Changed is the user after an operator's change to one of its
// identifiers.
type Changed struct {
	User *user.User
	ID   string // the identifier's
	// BackupCodes are new backup codes when reserving a number for
	// second-factor codes gave the user its first second factor: they are
	// shown this once.
	BackupCodes []string
}

// Errors worded for the operator.
var (
	errUnverify = apperr.Field(apperr.Invalid, "verified",
		"A verification cannot be taken back; remove the address instead.")
	errPrimaryUnverified = apperr.Field(apperr.Invalid, "primary", "Only a verified address can be primary.")
	errPrimaryStays      = apperr.Field(apperr.Invalid, "primary",
		"This is the user's primary address; make another one primary instead.")
	errOpPrimaryEmail = apperr.New(apperr.Invalid,
		"This is the user's primary email address; make another address primary before removing it.")
	errOpSecondFactorPhone = apperr.New(apperr.Invalid,
		"This number receives the user's second-factor codes; set reserved_for_second_factor to false first.")
	errReserveUnverified = apperr.Field(apperr.Invalid, "reserved_for_second_factor",
		"Only a verified phone number can receive second-factor codes.")
	errOtherSecondFactorPhone = apperr.Field(apperr.Invalid, "reserved_for_second_factor",
		"Another number of the user receives its second-factor codes: a user has one such number; "+
			"set reserved_for_second_factor to false on it first.")
	errNoPhoneFactor = apperr.Field(apperr.Invalid, "reserved_for_second_factor",
		"This instance does not offer codes by text message as a second factor (PORTAL_SECOND_FACTORS).")
)

// taken is the error for an address that is someone's, the user's own
// included.
func taken(kind, msg string) error {
	return apperr.Field(apperr.Conflict, kind, msg)
}

// OperatorAdd gives userID the email address or phone number raw (kind
// user.Email or user.Phone). A verified one becomes primary when asked, or
// when the user has no primary one of its kind yet (as on /user).
func (s *Service) OperatorAdd(ctx context.Context, userID, kind, raw string, c IdentifierChange) (*Changed, error) {
	var value string
	switch kind {
	case user.Email:
		v, err := parseEmail(raw)
		if err != nil {
			return nil, err
		}
		value = v
	case user.Phone:
		n, err := s.parsePhone(raw)
		if err != nil {
			return nil, err
		}
		value = n.E164
	default:
		return nil, fmt.Errorf("account: no identifier kind %q", kind)
	}
	var (
		out *Changed
		old string
	)
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := lockUser(ctx, r, userID); err != nil {
			return err
		}
		u, err := r.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		old = u.PrimaryEmail()
		switch have, full := addable(u, kind, value); {
		case have:
			return taken(kind, "The user has this "+noun(kind)+" already.")
		case full:
			return apperr.Field(apperr.Invalid, kind,
				fmt.Sprintf("The user has %d %ss, the most allowed; remove one first.", MaxPerKind, noun(kind)))
		}
		hadPrimary := kind == user.Email && u.Identifier(u.PrimaryEmailID) != nil ||
			kind == user.Phone && u.PrimaryPhone() != ""
		i := user.Identifier{ID: id.New(id.Identifier), UserID: userID, Kind: kind, Value: value,
			CreatedAt: now, UpdatedAt: now}
		if err := r.CreateIdentifier(ctx, i); errors.Is(err, apperr.ErrConflict) {
			return taken(kind, "That "+noun(kind)+" is taken: another user has it.")
		} else if err != nil {
			return err
		}
		u.Identifiers = append(u.Identifiers, i)
		if !hadPrimary && (c.Primary == nil || !*c.Primary) && c.Verified != nil && *c.Verified {
			c.Primary = ptr(true)
		}
		out = &Changed{ID: i.ID}
		_, err = s.apply(ctx, r, u, i.ID, c, out, now)
		if err == nil {
			err = s.saved(ctx, r, userID, now, out)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tellOldPrimary(ctx, old, out.User)
	return out, nil
}

// OperatorIdentifier returns the user whose email address or phone number
// (kind) identifierID is.
func (s *Service) OperatorIdentifier(ctx context.Context, kind, identifierID string) (*user.User, error) {
	owner, err := s.Repo.IdentifierOwner(ctx, identifierID)
	if isNotFound(err) {
		return nil, ErrNoSuchIdentifier
	}
	if err != nil {
		return nil, err
	}
	u, err := s.Repo.UserByID(ctx, owner)
	if isNotFound(err) {
		return nil, ErrNoSuchIdentifier
	}
	if err != nil {
		return nil, err
	}
	if i := u.Identifier(identifierID); i == nil || i.Kind != kind {
		return nil, ErrNoSuchIdentifier
	}
	return u, nil
}

// OperatorUpdate changes the email address or phone number (kind)
// identifierID. Nothing written when nothing changes.
func (s *Service) OperatorUpdate(ctx context.Context, kind, identifierID string, c IdentifierChange) (*Changed, error) {
	var (
		out = &Changed{ID: identifierID}
		old string
	)
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		u, err := s.identifierLocked(ctx, r, kind, identifierID)
		if err != nil {
			return err
		}
		old = u.PrimaryEmail()
		changed, err := s.apply(ctx, r, u, identifierID, c, out, now)
		if err != nil {
			return err
		}
		if !changed {
			out.User = u
			return nil
		}
		return s.saved(ctx, r, u.ID, now, out)
	})
	if err != nil {
		return nil, err
	}
	s.tellOldPrimary(ctx, old, out.User)
	return out, nil
}

// OperatorRemove takes the email address or phone number (kind)
// identifierID off its user, under the rules of /user's Remove, and returns
// the user's ID.
func (s *Service) OperatorRemove(ctx context.Context, kind, identifierID string) (string, error) {
	var userID string
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		u, err := s.identifierLocked(ctx, r, kind, identifierID)
		if err != nil {
			return err
		}
		userID = u.ID
		if err := r.TouchUser(ctx, u.ID, now); err != nil {
			return err
		}
		switch err := s.removeIdentifier(ctx, r, u, kind, identifierID, s.SignIn, now); err {
		case errPrimaryEmail:
			return errOpPrimaryEmail
		case errSecondFactorPhone:
			return errOpSecondFactorPhone
		case errLastWayEmail, errLastWayPhone:
			return ErrLastWay
		default:
			return err
		}
	})
	return userID, err
}

// identifierLocked finds the owner of identifierID, holds its row and
// returns it as it now is.
func (s *Service) identifierLocked(ctx context.Context, r Repo, kind, identifierID string) (*user.User, error) {
	owner, err := r.IdentifierOwner(ctx, identifierID)
	if isNotFound(err) {
		return nil, ErrNoSuchIdentifier
	}
	if err != nil {
		return nil, err
	}
	if err := lockUser(ctx, r, owner); errors.Is(err, user.ErrNoUser) {
		return nil, ErrNoSuchIdentifier
	} else if err != nil {
		return nil, err
	}
	u, err := r.UserByID(ctx, owner)
	if err != nil {
		return nil, err
	}
	// Read again under the lock: it may have moved or gone meanwhile.
	if i := u.Identifier(identifierID); i == nil || i.Kind != kind {
		return nil, ErrNoSuchIdentifier
	}
	return u, nil
}

// apply makes identifierID of the locked user u as c says: verified, then
// primary, then (phone numbers) receiving second-factor codes. It reports
// whether anything changed.
func (s *Service) apply(ctx context.Context, r Repo, u *user.User, identifierID string, c IdentifierChange, out *Changed, now time.Time) (bool, error) {
	i := u.Identifier(identifierID) // points into u.Identifiers: changes below are seen by u
	changed := false
	if c.Verified != nil {
		switch {
		case *c.Verified && !i.Verified():
			if err := r.VerifyIdentifier(ctx, u.ID, i.ID, now); err != nil {
				return false, err
			}
			i.VerifiedAt, changed = &now, true
			if i.Kind == user.Email && s.Orgs != nil {
				// Verified domains invite the address or suggest their
				// organizations, as when the person verifies it on /user.
				if err := s.Orgs.Enroll(ctx, r, u, []string{i.Value}); err != nil {
					return false, err
				}
			}
		case !*c.Verified && i.Verified():
			return false, errUnverify
		}
	}
	if c.Primary != nil {
		// A phone number is primary when chosen, or as the first verified
		// one (user.PrimaryPhone); making it primary records the choice.
		chosen := i.Kind == user.Email && u.PrimaryEmailID == i.ID || i.Kind == user.Phone && u.PrimaryPhoneID == i.ID
		primary := i.Kind == user.Email && chosen || i.Kind == user.Phone && i.Verified() && u.PrimaryPhone() == i.Value
		switch {
		case *c.Primary && !chosen:
			if !i.Verified() {
				return false, errPrimaryUnverified
			}
			set := r.SetPrimaryEmail
			if i.Kind == user.Phone {
				set = r.SetPrimaryPhone
			}
			if err := set(ctx, u.ID, i.ID, now); err != nil {
				return false, err
			}
			if i.Kind == user.Email {
				u.PrimaryEmailID = i.ID
			} else {
				u.PrimaryPhoneID = i.ID
			}
			changed = true
		case !*c.Primary && primary:
			return false, errPrimaryStays
		}
	}
	if c.SecondFactor != nil && i.Kind == user.Phone {
		on := u.SecondFactorPhone != "" && u.SecondFactorPhone == i.Value
		switch {
		case *c.SecondFactor && !on:
			if err := s.reservable(u, i); err != nil {
				return false, err
			}
			codes, err := s.Factors.ReservePhone(ctx, r, u, i.ID, now)
			if err != nil {
				return false, err
			}
			out.BackupCodes, changed = codes, true
		case !*c.SecondFactor && on:
			if s.Factors == nil {
				return false, errNoPhoneFactor
			}
			if _, err := s.Factors.ReleasePhone(ctx, r, u); err != nil {
				return false, err
			}
			changed = true
		}
	}
	return changed, nil
}

// reservable refuses what Portal's one number for second-factor codes per
// user cannot hold, and a number the portal does not text.
func (s *Service) reservable(u *user.User, i *user.Identifier) error {
	switch {
	case s.Factors == nil || !s.Factors.Enabled(factors.PhoneFactor):
		return errNoPhoneFactor
	case !i.Verified():
		return errReserveUnverified
	case u.SecondFactorPhone != "":
		return errOtherSecondFactorPhone
	}
	n, err := s.parsePhone(i.Value)
	if err == nil {
		err = s.textable(n)
	}
	if e, ok := apperr.As(err); ok {
		f := *e
		f.Field = "reserved_for_second_factor"
		return &f
	}
	return err
}

// saved bumps the user's updated_at, writes user.updated and reads the
// user back into out.
func (s *Service) saved(ctx context.Context, r Repo, userID string, now time.Time, out *Changed) error {
	if err := r.TouchUser(ctx, userID, now); err != nil {
		return err
	}
	if err := s.updated(ctx, r, userID, now); err != nil {
		return err
	}
	u, err := r.UserByID(ctx, userID)
	out.User = u
	return err
}

// tellOldPrimary emails the old primary address when the change gave the
// user another one (REQ-PW-07), as /user does. The change stands even if
// the notice fails.
func (s *Service) tellOldPrimary(ctx context.Context, old string, u *user.User) {
	if now := u.PrimaryEmail(); old != "" && now != "" && old != now {
		_ = s.Notifier.SendPrimaryEmailChanged(ctx, old, u.Locale, now)
	}
}

func noun(kind string) string {
	if kind == user.Phone {
		return "phone number"
	}
	return "email address"
}

func ptr[T any](v T) *T { return &v }
