package account

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// An email address or phone number being added is a flow of this kind,
// bound to the session that added it: the address joins the account only
// once its code comes back on that session. Until then it is nobody's, so
// typing someone else's address blocks nothing for them, and tells the
// person typing nothing about whether it has an account.
const KindAddIdentifier = "verify_identifier"

// MaxPerKind caps the email addresses (and phone numbers) of one account.
const MaxPerKind = 10

var (
	// ErrPendingGone: the addition is unknown, finished, expired or not
	// this session's.
	ErrPendingGone = apperr.New(apperr.Expired, "This verification has expired. Please add the address again.").T("account.error.pending_gone")
	// ErrOtherBrowser: a link opened away from the session that asked for it.
	ErrOtherBrowser = apperr.New(apperr.Forbidden,
		"Open this link in the browser where you added the address, while signed in there, or type the code from the email there instead.").T("account.error.other_browser")
	// ErrNoSuchIdentifier answers an ID that is not one of the user's.
	ErrNoSuchIdentifier = apperr.New(apperr.NotFound, "That email address or phone number was not found.").T("account.error.no_such_identifier")
	// ErrLastWay: removing it would leave no way to sign in.
	ErrLastWay = apperr.New(apperr.Invalid,
		"You can't remove your only way to sign in. Add another email address, phone number or sign-in method first.").T("account.error.last_way_identifier")
	// errLastWayEmail and errLastWayPhone are ErrLastWay where only email
	// addresses, or only phone numbers, are taken: the way out names only
	// what the person can add. OperatorRemove answers them as ErrLastWay.
	errLastWayEmail = apperr.New(apperr.Invalid,
		"You can't remove your only way to sign in. Add another email address or sign-in method first.").T("account.error.last_way_identifier_email")
	errLastWayPhone = apperr.New(apperr.Invalid,
		"You can't remove your only way to sign in. Add another phone number or sign-in method first.").T("account.error.last_way_identifier_phone")
	errSecondFactorPhone = apperr.New(apperr.Invalid,
		"This number receives your sign-in codes. Turn off codes by text message under Security first.").T("account.error.second_factor_phone")
	errPrimaryEmail = apperr.New(apperr.Invalid,
		"This is your primary email address. Make another address primary before removing it.").T("account.error.primary_email")
	// ErrVerifyGone: the address being verified left the account meanwhile.
	ErrVerifyGone = apperr.New(apperr.Expired, "This address is no longer on your account.").T("account.error.verify_gone")
	// ErrVerifyExpired: a verification of an address the account has is
	// unknown, finished or expired.
	ErrVerifyExpired = apperr.New(apperr.Expired,
		"This verification has expired. Press Verify next to the address on your account page to get a new code.").T("account.error.verify_expired")
	// ErrVerifiedAlready: the address to verify is verified already.
	ErrVerifiedAlready  = apperr.New(apperr.Invalid, "This address is verified already.").T("account.error.verified_already")
	errTakenAfterVerify = apperr.Field(apperr.Conflict, "code",
		"This address belongs to another account. Sign in to that account to use it, or remove it there first.").T("account.error.taken_after_verify")
)

// AddEmail starts adding an email address to u's account and sends it a code.
func (s *Service) AddEmail(ctx context.Context, sess *session.Session, u *user.User, raw string, m flow.Meta) (*flow.Flow, error) {
	v, err := parseEmail(raw)
	if err != nil {
		return nil, err
	}
	if e, err := s.Restrict.CheckNew(ctx, user.Email, v); err != nil {
		return nil, err
	} else if e != nil {
		return nil, e
	}
	return s.add(ctx, sess, u, user.Email, v, "email_address", m)
}

// AddPhone starts adding a phone number to u's account and texts it a code.
func (s *Service) AddPhone(ctx context.Context, sess *session.Session, u *user.User, raw string, m flow.Meta) (*flow.Flow, error) {
	n, err := s.parsePhone(raw)
	if err == nil {
		err = s.textable(n)
	}
	if err != nil {
		return nil, err
	}
	if e, err := s.Restrict.CheckNew(ctx, user.Phone, n.E164); err != nil {
		return nil, err
	} else if e != nil {
		return nil, e
	}
	return s.add(ctx, sess, u, user.Phone, n.E164, "phone_number", m)
}

// parseEmail validates an email address and returns it normalised.
func parseEmail(raw string) (string, error) {
	v, err := notify.ValidAddress(strings.TrimSpace(raw))
	if err != nil {
		return "", apperr.Field(apperr.Invalid, "email_address", "Enter a valid email address, like name@example.com.").T("error.identifier.email_invalid")
	}
	return user.NormalizeEmail(v), nil
}

// parsePhone reads a phone number as a person types it (package phone).
func (s *Service) parsePhone(raw string) (phone.Number, error) {
	n, err := phone.Parse(raw, s.PhoneRegion)
	return n, phoneError(err)
}

// textable refuses a number in a country the portal does not text.
func (s *Service) textable(n phone.Number) error { return phoneError(s.Countries.Check(n)) }

func phoneError(err error) error {
	if _, ok := apperr.As(err); ok {
		e := fieldError("phone_number", err)
		e.Code = apperr.Invalid
		return e
	}
	return err
}

// addable reports why u cannot take value of kind: it has it already
// (have), or it has MaxPerKind of the kind (full).
func addable(u *user.User, kind, value string) (have, full bool) {
	n := 0
	for _, i := range u.Identifiers {
		have = have || i.Kind == kind && i.Value == value
		if i.Kind == kind {
			n++
		}
	}
	return have, n >= MaxPerKind
}

func (s *Service) add(ctx context.Context, sess *session.Session, u *user.User, kind, value, field string, m flow.Meta) (*flow.Flow, error) {
	if !s.Fresh(sess) {
		return nil, ErrReverify
	}
	switch have, full := addable(u, kind, value); {
	case have && kind == user.Phone:
		return nil, apperr.Field(apperr.Invalid, field, "You've already added this phone number.").T("account.error.already_added_phone")
	case have:
		return nil, apperr.Field(apperr.Invalid, field, "You've already added this email address.").T("account.error.already_added_email")
	case full:
		return nil, apperr.Field(apperr.Invalid, field, fmt.Sprintf("You can add at most %d of these. Remove one first.", MaxPerKind)).
			T("account.error.too_many_identifiers", "Count", MaxPerKind)
	}
	return s.start(ctx, sess, u, kind, value, "", field, m)
}

// StartVerify sends a code to the unverified email address or phone number
// identifierID of u (one the operator added unverified, say): like an
// addition, it is verified once the code comes back on this session.
func (s *Service) StartVerify(ctx context.Context, sess *session.Session, u *user.User, kind, identifierID string, m flow.Meta) (*flow.Flow, error) {
	if !s.Fresh(sess) {
		return nil, ErrReverify
	}
	i := u.Identifier(identifierID)
	if i == nil || i.Kind != kind {
		return nil, ErrNoSuchIdentifier
	}
	if i.Verified() {
		return nil, ErrVerifiedAlready
	}
	field := "email_address"
	if kind == user.Phone {
		field = "phone_number"
		n, err := s.parsePhone(i.Value)
		if err == nil {
			err = s.textable(n)
		}
		if err != nil {
			return nil, err
		}
	}
	return s.start(ctx, sess, u, kind, i.Value, i.ID, field, m)
}

// start begins the flow that verifies value (of kind) for u — a new one,
// or the unverified identifierID — and sends its first code.
func (s *Service) start(ctx context.Context, sess *session.Session, u *user.User, kind, value, identifierID, field string, m flow.Meta) (*flow.Flow, error) {
	now := s.Clock.Now()
	strategy := flow.EmailCode
	if kind == user.Phone {
		strategy = flow.PhoneCode
	}
	f := &flow.Flow{ID: id.New("vfy"), Kind: KindAddIdentifier, ClientID: sess.ClientID, SessionID: sess.ID,
		UserID: u.ID, Status: flow.NeedsFirstFactor, Identifier: value, CreatedAt: now, UpdatedAt: now,
		ExpireAt: now.Add(flow.Lifetime), Data: flow.Data{IdentifierKind: kind, Strategy: strategy, IdentifierID: identifierID}}
	// The same start a moment ago from this session (a double click, or
	// Enter and then a click) goes on with its flow and sends nothing: the
	// code on its way is the one the code page asks for.
	got, created, err := s.Repo.CreateFlowOnce(ctx, f, now.Add(-flow.SameStartWindow), func(o *flow.Flow) bool {
		return o.SessionID == sess.ID && o.UserID == u.ID && o.Status == flow.NeedsFirstFactor &&
			o.Identifier == value && o.Data.IdentifierKind == kind && o.Data.IdentifierID == identifierID && !o.Expired(now)
	})
	if err != nil {
		return nil, err
	}
	if !created {
		return got, nil
	}
	if err := s.Send(ctx, f, strategy, m); err != nil {
		// Nothing went out: the start is over, so pressing again (the
		// message read) sends a code rather than landing on a page
		// waiting for one that never came.
		f.Status, f.UpdatedAt = flow.Abandoned, now
		if uerr := s.Repo.UpdateFlow(ctx, f); uerr != nil {
			return nil, fmt.Errorf("account: ending a start whose code was not sent (%v): %w", err, uerr)
		}
		if e, ok := apperr.As(err); ok && e.Field == "code" {
			return nil, fieldError(field, e)
		}
		return nil, err
	}
	return f, nil
}

// Pending returns the addition flowID when it belongs to sess and can
// still be verified.
func (s *Service) Pending(ctx context.Context, sess *session.Session, flowID string) (*flow.Flow, error) {
	f, err := s.Repo.FlowByID(ctx, flowID)
	if isNotFound(err) {
		return nil, ErrPendingGone
	}
	if err != nil {
		return nil, err
	}
	if f.Kind != KindAddIdentifier || f.SessionID != sess.ID || f.UserID != sess.UserID {
		return nil, ErrPendingGone
	}
	if f.Status != flow.NeedsFirstFactor || f.Expired(s.Clock.Now()) {
		if f.Data.IdentifierID != "" {
			return nil, ErrVerifyExpired
		}
		return nil, ErrPendingGone
	}
	return f, nil
}

// Added returns the addition flowID when sess finished it and its address
// is still on u's account: a second press of Verify, or the code page
// opened again, is told the address is added, not that it expired.
func (s *Service) Added(ctx context.Context, sess *session.Session, u *user.User, flowID string) (*flow.Flow, bool) {
	f, err := s.Repo.FlowByID(ctx, flowID)
	if err != nil || f.Kind != KindAddIdentifier || f.SessionID != sess.ID || f.UserID != u.ID ||
		f.Status != flow.Complete || !u.Has(f.Data.IdentifierKind, f.Identifier) {
		return nil, false
	}
	return f, true
}

// Send sends a code (flow.EmailCode, flow.PhoneCode) or, for an email
// address, a link (flow.EmailLink) to the address being added.
func (s *Service) Send(ctx context.Context, f *flow.Flow, strategy string, m flow.Meta) error {
	want := []string{flow.EmailCode, flow.EmailLink}
	emailPurpose, phonePurpose := "add-email", "add-phone"
	if f.Data.IdentifierID != "" {
		// Verifying an address the account has: a code only. The link's
		// email speaks of adding it, in the browser that did.
		want, emailPurpose, phonePurpose = []string{flow.EmailCode}, "verify-email", "verify-phone"
	}
	if f.Data.IdentifierKind == user.Phone {
		want = []string{flow.PhoneCode}
	}
	if !contains(want, strategy) {
		return errNoFactor
	}
	var (
		secret string
		err    error
	)
	if strategy == flow.EmailLink {
		secret, err = s.Codes.IssueLink(ctx, s.Repo, f.ID, strategy, f.Identifier, m.IP)
	} else {
		secret, err = s.Codes.Issue(ctx, s.Repo, f.ID, strategy, f.Identifier, m.IP)
	}
	if err != nil {
		return err
	}
	switch strategy {
	case flow.EmailLink:
		err = s.Notifier.SendLink(ctx, f.Identifier, LinkURL(s.BaseURL, secret), emailPurpose)
	case flow.PhoneCode:
		err = s.Notifier.SendSMSCode(ctx, f.Identifier, secret, phonePurpose)
	default:
		err = s.Notifier.SendCode(ctx, f.Identifier, secret, emailPurpose)
	}
	if err != nil {
		_ = s.Codes.Cancel(ctx, s.Repo, f.ID, strategy) // unsent: no cooldown, no cap
		return err
	}
	if strategy != flow.EmailLink && f.Data.Strategy != strategy {
		f.Data.Strategy, f.UpdatedAt = strategy, s.Clock.Now()
		return s.Repo.UpdateFlow(ctx, f)
	}
	return nil
}

// LinkURL is the address an email verification link points to.
func LinkURL(base, token string) string {
	return base + "/user/verify-email?token=" + url.QueryEscape(token)
}

// VerifyCode checks the code sent to the address being added and, when it
// is right, adds the address to the account.
func (s *Service) VerifyCode(ctx context.Context, sess *session.Session, f *flow.Flow, code string) (*user.Identifier, error) {
	strategy := flow.EmailCode
	if f.Data.IdentifierKind == user.Phone {
		strategy = flow.PhoneCode
	}
	if _, err := s.Codes.Check(ctx, s.Repo, f.ID, strategy, strings.TrimSpace(code)); err != nil {
		return nil, err
	}
	return s.complete(ctx, f)
}

// PeekLink finds the addition an email link is for, without using it up.
func (s *Service) PeekLink(ctx context.Context, sess *session.Session, token string) (*flow.Flow, error) {
	v, err := s.Codes.PeekLink(ctx, s.Repo, token)
	if err != nil {
		return nil, err
	}
	f, err := s.Repo.FlowByID(ctx, v.FlowID)
	if err != nil || f.Kind != KindAddIdentifier || v.Strategy != flow.EmailLink {
		return nil, flow.ErrLinkInvalid
	}
	if sess == nil || f.SessionID != sess.ID {
		return nil, ErrOtherBrowser
	}
	if _, err := s.Pending(ctx, sess, f.ID); err != nil {
		return nil, err
	}
	return f, nil
}

// AddedByLink is the address a spent email link added to the account sess
// is signed in to, "" when the link is not one of that account's or did
// not add its address (it expired first, or the addition was dropped):
// opened again, a link whose work is done needs no new one.
func (s *Service) AddedByLink(ctx context.Context, sess *session.Session, token string) string {
	if sess == nil {
		return ""
	}
	id := s.Codes.LinkFlowID(ctx, s.Repo, token)
	if id == "" {
		return ""
	}
	f, err := s.Repo.FlowByID(ctx, id)
	if err != nil || f.Kind != KindAddIdentifier || f.UserID != sess.UserID || f.Status != flow.Complete {
		return ""
	}
	return f.Identifier
}

// ConfirmLink uses an email link on the session that asked for it and adds
// the address. Elsewhere it refuses: a person tricked into opening a link
// for an address someone else typed must not attach it to that someone's
// account.
func (s *Service) ConfirmLink(ctx context.Context, sess *session.Session, token string) (*user.Identifier, error) {
	f, err := s.PeekLink(ctx, sess, token)
	if err != nil {
		return nil, err
	}
	if _, err := s.Codes.CheckLink(ctx, s.Repo, token); err != nil {
		return nil, err
	}
	return s.complete(ctx, f)
}

// complete adds the verified address of f to its user.
func (s *Service) complete(ctx context.Context, f *flow.Flow) (*user.Identifier, error) {
	var added *user.Identifier
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		u, err := locked(ctx, r, f.UserID, now)
		if err != nil {
			return err
		}
		var i user.Identifier
		if f.Data.IdentifierID != "" {
			// An address already on the account: (kind, value) is unique
			// across accounts, so no other can have it verified meanwhile.
			had := u.Identifier(f.Data.IdentifierID)
			if had == nil || had.Kind != f.Data.IdentifierKind || had.Value != f.Identifier {
				return ErrVerifyGone
			}
			i = *had
			if !i.Verified() {
				if err := r.VerifyIdentifier(ctx, u.ID, i.ID, now); isNotFound(err) {
					return ErrVerifyGone
				} else if err != nil {
					return err
				}
			}
			i.VerifiedAt = &now
			// The rules below (primary, organizations) see it as they see
			// a new address.
			u = u.Without(i.ID)
		} else {
			i = user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: f.Data.IdentifierKind, Value: f.Identifier,
				VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
			if err := r.CreateIdentifier(ctx, i); errors.Is(err, apperr.ErrConflict) {
				return errTakenAfterVerify
			} else if err != nil {
				return err
			}
		}
		switch {
		case i.Kind == user.Email && u.Identifier(u.PrimaryEmailID) == nil:
			err = r.SetPrimaryEmail(ctx, u.ID, i.ID, now)
		case i.Kind == user.Phone && u.PrimaryPhone() == "":
			err = r.SetPrimaryPhone(ctx, u.ID, i.ID, now)
		}
		if err != nil {
			return err
		}
		if i.Kind == user.Email && s.Orgs != nil {
			// Verified domains invite the address or suggest their organizations.
			withNew := *u
			withNew.Identifiers = append(slices.Clone(u.Identifiers), i)
			if err := s.Orgs.Enroll(ctx, r, &withNew, []string{i.Value}); err != nil {
				return err
			}
		}
		f.Status, f.UpdatedAt = flow.Complete, now
		if err := r.UpdateFlow(ctx, f); errors.Is(err, apperr.ErrConflict) {
			return ErrPendingGone
		} else if err != nil {
			return err
		}
		added = &i
		return s.updated(ctx, r, u.ID, now)
	})
	return added, err
}

// SetPrimary makes the verified email address or phone number identifierID
// the primary one. A new primary email address is announced to the old one.
func (s *Service) SetPrimary(ctx context.Context, sess *session.Session, u *user.User, kind, identifierID string) error {
	if !s.Fresh(sess) {
		return ErrReverify
	}
	i := u.Identifier(identifierID)
	if i == nil || i.Kind != kind || !i.Verified() {
		return ErrNoSuchIdentifier
	}
	old := u.PrimaryEmail()
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		set := r.SetPrimaryEmail
		if kind == user.Phone {
			set = r.SetPrimaryPhone
		}
		if err := set(ctx, u.ID, identifierID, now); isNotFound(err) {
			return ErrNoSuchIdentifier
		} else if err != nil {
			return err
		}
		return s.updated(ctx, r, u.ID, now)
	})
	if err != nil {
		return err
	}
	if kind == user.Email && old != "" && old != i.Value {
		_ = s.Notifier.SendPrimaryEmailChanged(ctx, old, u.Locale, i.Value) // the change stands even if the notice fails
	}
	return nil
}

// Remove takes an email address or phone number off the account, unless the
// account could not be signed in to without it.
func (s *Service) Remove(ctx context.Context, sess *session.Session, userID, kind, identifierID string) error {
	if !s.Fresh(sess) {
		return ErrReverify
	}
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		u, err := locked(ctx, r, userID, now)
		if err != nil {
			return err
		}
		return s.removeIdentifier(ctx, r, u, kind, identifierID, s.SignIn, now)
	})
}

// CheckRemove says why Remove would refuse to take the identifier off u's
// account as u is now, nil when it would not: the page that asks to confirm
// a removal says so at once rather than asking for a press that can only
// be refused. Remove checks again, in its transaction.
func (s *Service) CheckRemove(u *user.User, kind, identifierID string) error {
	return removable(u, kind, identifierID, s.SignIn)
}

// removable applies the rules that keep the account usable: the primary
// email address goes last, a way to sign in remains (user.CanSignIn), and
// a number that receives second-factor codes is released first.
func removable(u *user.User, kind, identifierID string, o user.SignInOptions) error {
	i := u.Identifier(identifierID)
	if i == nil || i.Kind != kind {
		return ErrNoSuchIdentifier
	}
	if kind == user.Email && i.ID == u.PrimaryEmailID && len(u.Without(i.ID).VerifiedEmails()) > 0 {
		return errPrimaryEmail
	}
	if !u.Without(i.ID).CanSignIn(o) {
		switch {
		case o.Email && !o.Phone:
			return errLastWayEmail
		case o.Phone && !o.Email:
			return errLastWayPhone
		}
		return ErrLastWay
	}
	// Removing it would silently take the second factor with it (and,
	// where MFA is required, the last one): that is turned off first.
	if kind == user.Phone && i.Value == u.SecondFactorPhone {
		return errSecondFactorPhone
	}
	return nil
}

// removeIdentifier deletes the identifier of the locked user u when the
// rules allow it (removable).
func (s *Service) removeIdentifier(ctx context.Context, r Repo, u *user.User, kind, identifierID string, o user.SignInOptions, now time.Time) error {
	if err := removable(u, kind, identifierID, o); err != nil {
		return err
	}
	if err := r.DeleteIdentifier(ctx, u.ID, identifierID); isNotFound(err) {
		return ErrNoSuchIdentifier
	} else if err != nil {
		return err
	}
	return s.updated(ctx, r, u.ID, now)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
