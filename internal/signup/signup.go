// Package signup is the sign-up flow: the fields the instance asks for, then
// verification of the email address (code or link) and phone number (code),
// then the account and a session are created together.
package signup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/user"
)

// Repo is what sign-up needs from the store.
type Repo interface {
	session.Repo
	flow.CodeStore
	CreateFlow(ctx context.Context, f *flow.Flow) error
	flow.OnceCreator
	flow.RecentLister
	FlowByID(ctx context.Context, id string) (*flow.Flow, error)
	UpdateFlow(ctx context.Context, f *flow.Flow) error
	UserByIdentifier(ctx context.Context, kind, value string) (*user.User, error)
	CreateUser(ctx context.Context, u *user.User) error
	AppInvitationByID(ctx context.Context, id string) (*invitation.Invitation, error)
	// UpdateAppInvitation stores inv's status when the stored one is still
	// from (else ErrConflict).
	UpdateAppInvitation(ctx context.Context, inv *invitation.Invitation, from string) error
	// InvitedAddress reports whether a live invitation, the application's
	// or an organization's, was sent to email.
	InvitedAddress(ctx context.Context, email string, now time.Time) (bool, error)
	org.EnrollRepo // automatic invitations and suggestions of verified domains
	// SaveOAuthToken stores the provider's token set of a sign-up through
	// a provider with its new external account.
	SaveOAuthToken(ctx context.Context, t user.OAuthToken) error
}

// Enroller gives a new account, in the transaction that creates it, the
// automatic invitations of the organizations that verified the domain of
// one of its addresses (org.Service.Enroll).
type Enroller interface {
	Enroll(ctx context.Context, r org.EnrollRepo, u *user.User, emails []string) error
}

// Sign-up field names, as posted by the form.
const (
	FieldEmail     = "email_address"
	FieldPhone     = "phone_number"
	FieldUsername  = "username"
	FieldFirstName = "first_name"
	FieldLastName  = "last_name"
	FieldPassword  = "password"
	// FieldLegal is the box agreeing to the instance's legal documents,
	// named as Clerk names the missing requirement.
	FieldLegal = "legal_accepted"
	// FieldCaptcha is the bot-protection check a new account through a
	// provider must pass (BotProtection) before it exists: not a form
	// field the service reads, but a requirement the step that asks for
	// missing fields shows, and the caller checks (Form.BotChecked).
	FieldCaptcha = "captcha"
)

// Fields says which sign-up fields are shown and which are required.
type Fields struct {
	Shown    map[string]bool
	Required map[string]bool
}

// Service runs sign-up flows.
type Service struct {
	Clock    clockwork.Clock
	Repo     Repo
	InTx     func(ctx context.Context, fn func(Repo) error) error
	Sessions *session.Service
	Hasher   *password.Hasher
	Policy   password.Policy
	Codes    *flow.Codes
	Notifier flow.Notifier
	AppName  string
	BaseURL  string
	Fields   Fields
	// EmailVia is how email addresses are verified: flow.EmailCode or
	// flow.EmailLink; EmailAlt, when set, is offered as the other choice.
	EmailVia string
	EmailAlt string
	// PhoneRegion is the default region of phone numbers typed without a
	// country code; Countries limits where texts may go.
	PhoneRegion string
	Countries   *phone.Allowlist
	// LinkOtherDeviceSession: see signin.Service.
	LinkOtherDeviceSession bool
	// Restrict refuses identifiers the operator's lists exclude (nil:
	// none).
	Restrict *restrict.Rules
	// Restricted is PORTAL_SIGN_UP_MODE=restricted: only a person holding
	// an invitation signs up, with the address it was sent to (Form.Invited).
	Restricted bool
	// LegalConsent is PORTAL_LEGAL_CONSENT: no account is made until the
	// person has ticked the box agreeing to the legal documents, on the
	// form or, through a provider, on the step that asks for what is
	// missing (FieldLegal); the time becomes the user's LegalAcceptedAt.
	LegalConsent bool
	// BotProtection is PORTAL_CAPTCHA_PROVIDER set: a provider sign-up
	// that would make a new account waits for the bot-protection check
	// (FieldCaptcha) on the step that asks for missing fields, except
	// through a provider named in BotBypass (PORTAL_CAPTCHA_OAUTH_BYPASS,
	// by provider name), for an invitee, or on a restricted instance.
	BotProtection bool
	BotBypass     map[string]bool
	// Domains, when set, gives the new account its automatic invitations
	// and suggestions.
	Domains Enroller
	// UserAbilities are what the instance lets users do, for the user
	// objects of the events written.
	UserAbilities user.Abilities
}

// RequireNames reports whether first and last names are required.
func (s *Service) RequireNames() bool {
	return s.Fields.Required[FieldFirstName] || s.Fields.Required[FieldLastName]
}

// Form is what a person submitted on /sign-up.
type Form struct {
	Email     string
	Phone     string
	Username  string
	Password  string
	FirstName string
	LastName  string
	// Invited is the address of a pending invitation the browser holds
	// (the application's or an organization's), which is what lets a
	// restricted instance's sign-up go ahead; "" without one. AlsoInvited
	// is an organization invitation's other address, when the browser
	// holds an application invitation too.
	Invited, AlsoInvited string
	// Proved is the invited addresses whose link the browser followed a
	// moment ago (within an emailed link's lifetime, REQ-OTP-02): signing
	// up with one needs no code, the link having come through its mailbox.
	Proved []string
	// InvitationID is an application invitation to the address signed up
	// with, which the new account takes up as it is created.
	InvitationID string
	// LegalAccepted is the consent box, ticked.
	LegalAccepted bool
	// Captcha is the hash of the bot-protection token the form passed
	// with (captcha.Hash), kept on the flow for Repeat; "" without one.
	Captcha string
	// BotChecked is the caller's word, on the step that asks for missing
	// fields, that the bot-protection check a provider sign-up waits for
	// (FieldCaptcha) was passed, or is not needed (an invitee's address,
	// bot protection since turned off).
	BotChecked bool
}

// ErrBotCheck refuses to fill a provider sign-up that waits for the
// bot-protection check without it: the caller checks the token first.
var ErrBotCheck = apperr.New(apperr.Invalid, "Please complete the check that you're not a robot.").T("error.captcha.invalid")

// ErrLegalRequired is the consent box's message when it was not ticked.
var ErrLegalRequired = apperr.Field(apperr.Invalid, FieldLegal,
	"Tick the box to agree to the terms before you continue.").T("error.signup.legal_required")

// formFields are the form's fields: the instance's, and the consent box
// when it is asked for.
func (s *Service) formFields() Fields {
	if !s.LegalConsent {
		return s.Fields
	}
	fs := Fields{Shown: maps.Clone(s.Fields.Shown), Required: maps.Clone(s.Fields.Required)}
	if fs.Shown == nil {
		fs.Shown = map[string]bool{}
	}
	if fs.Required == nil {
		fs.Required = map[string]bool{}
	}
	fs.Shown[FieldLegal], fs.Required[FieldLegal] = true, true
	return fs
}

// needsLegal reports whether f may not make an account yet: consent is
// asked for and was not given on it.
func (s *Service) needsLegal(f *flow.Flow) bool {
	return s.LegalConsent && f.Data.LegalAcceptedAt == nil
}

// ErrInvitationOnly refuses a sign-up on a restricted instance to anyone
// without an invitation.
var ErrInvitationOnly = apperr.New(apperr.Forbidden,
	"Sign-up here is by invitation only. Ask an administrator to invite you.").T("error.signup.invitation_only")

// isInvited reports whether email is one of the invited addresses.
func isInvited(email string, invited ...string) bool {
	email = user.NormalizeEmail(email)
	for _, i := range invited {
		if email != "" && i != "" && email == user.NormalizeEmail(i) {
			return true
		}
	}
	return false
}

// invitedOnly enforces Restricted: an invitation, and its address.
func (s *Service) invitedOnly(in Form) error {
	if !s.Restricted {
		return nil
	}
	if in.Invited == "" {
		return ErrInvitationOnly
	}
	if !isInvited(in.Email, in.Invited, in.AlsoInvited) {
		e := apperr.Field(apperr.Invalid, FieldEmail, "Use the address your invitation was sent to.").T("error.signup.invited_address")
		return &FormError{Fields: map[string]string{FieldEmail: e.Message}, Errors: map[string]*apperr.Error{FieldEmail: e}}
	}
	return nil
}

// ErrFlowGone is shown when a sign-up is unknown, expired, finished or
// belongs to another browser.
var ErrFlowGone = apperr.New(apperr.Expired, "This sign-up has expired. Please start again.").T("error.signup.expired")

// Start validates the form and sends the first verification. Every problem
// is reported at once, field by field, in a *FormError.
//
// The same form sent again from the same browser a moment before
// (flow.SameStartWindow: a double click) starts nothing new: Start returns
// that flow, with again set, and sends nothing, so neither a second code
// nor (the address has an account) a second note to its owner goes out.
func (s *Service) Start(ctx context.Context, clientID string, in Form, redirectURL string, m flow.Meta) (f *flow.Flow, again bool, err error) {
	if err := s.invitedOnly(in); err != nil {
		return nil, false, err
	}
	d, err := s.validate(ctx, in, s.formFields(), false)
	if err != nil {
		return nil, false, err
	}
	if s.Fields.Shown[FieldPassword] && in.Password != "" {
		if d.PasswordHash, err = s.Hasher.Hash(ctx, in.Password); err != nil {
			return nil, false, err
		}
	}
	d.InvitationID = in.InvitationID
	d.Captcha = in.Captcha
	if d.Email != "" && !d.ExistingUser && isInvited(d.Email, in.Proved...) {
		// The invitation's link reached this browser through that mailbox
		// a moment ago, as a code would (Clerk's ticket strategy): no code
		// to wait for. An address that has an account goes on as usual,
		// its owner told (REQ-RL-05).
		d.EmailVerified, d.VerifiedBy = true, flow.Ticket
	}
	now := s.Clock.Now()
	if s.LegalConsent && in.LegalAccepted {
		d.LegalAcceptedAt = &now
	}
	f = &flow.Flow{ID: id.New(id.SignUp), Kind: flow.SignUp, ClientID: clientID, Status: flow.MissingRequirements,
		Identifier: firstNonEmpty(d.Email, d.Phone, d.Username), RedirectURL: redirectURL, CreatedAt: now,
		UpdatedAt: now, ExpireAt: now.Add(flow.Lifetime), Data: d}
	f.Data.Browser, f.Data.Locale = session.BrowserMark(ctx), i18n.PersonLocale(ctx)
	f.Data.Strategy = s.nextStrategy(f)
	if prev, err := s.createOnce(ctx, f, in.Password, now); err != nil || prev != nil {
		return prev, prev != nil, err
	}
	if f.Data.Strategy == "" { // nothing to verify (username and password only)
		return f, false, nil
	}
	return f, false, s.send(ctx, f, m)
}

// createOnce stores f, the start of a sign-up from its form, unless the
// same start is a moment old: it returns that flow then, and nil after
// storing f. The same start is the same fields, redirect, invitation and
// consent, and the same password, which only the stored hash can tell:
// that is checked after the store has answered, so that the slow hash does
// not hold up other starts. Whether the address or number has an account
// plays no part (REQ-RL-05).
func (s *Service) createOnce(ctx context.Context, f *flow.Flow, password string, now time.Time) (*flow.Flow, error) {
	d := f.Data
	prev, created, err := s.Repo.CreateFlowOnce(ctx, f, now.Add(-flow.SameStartWindow), func(o *flow.Flow) bool {
		return sameStart(o, f, now)
	})
	if err != nil || created {
		return nil, err
	}
	if same, err := s.samePassword(ctx, prev, d.PasswordHash != "", password); err != nil {
		return nil, err
	} else if same {
		return prev, nil
	}
	// The same fields with another password: a start of its own.
	return nil, s.Repo.CreateFlow(ctx, f)
}

// sameStart reports whether o, a stored sign-up, began from the form f
// begins from (the password aside: see samePassword).
func sameStart(o, f *flow.Flow, now time.Time) bool {
	od, d := o.Data, f.Data
	return o.Status == flow.MissingRequirements && od.External == nil && len(od.Missing) == 0 &&
		o.RedirectURL == f.RedirectURL && od.Email == d.Email && od.Phone == d.Phone &&
		od.Username == d.Username && od.FirstName == d.FirstName && od.LastName == d.LastName &&
		(od.PasswordHash == "") == (d.PasswordHash == "") && od.InvitationID == d.InvitationID &&
		(od.LegalAcceptedAt == nil) == (d.LegalAcceptedAt == nil) && !o.Expired(now)
}

// samePassword reports whether prev, a same start, was sent with password
// too (hasPassword: one was given; only prev's hash can tell).
func (s *Service) samePassword(ctx context.Context, prev *flow.Flow, hasPassword bool, password string) (bool, error) {
	if !hasPassword {
		return true, nil
	}
	ok, _, err := s.Hasher.Verify(ctx, password, prev.Data.PasswordHash)
	return ok && err == nil, err
}

// ErrNotRepeat is Repeat's answer when the bot-protection token started
// a sign-up that is not this one: final, as only the start that spent a
// token stores it, so there is nothing to wait for.
var ErrNotRepeat = errors.New("signup: the token started another sign-up")

// Repeat returns the sign-up that the same start as in, from the same
// browser within flow.SameStartWindow, began with the same bot-protection
// token (in.Captcha), or nil while there is none. Such a token was spent
// at the provider by that start, so only this tells a double click from a
// token used twice: the repeat lands on the first start's flow, as
// Start's own would, and nothing else is let through on it
// (ErrNotRepeat).
func (s *Service) Repeat(ctx context.Context, clientID string, in Form, redirectURL string) (*flow.Flow, error) {
	if in.Captcha == "" || clientID == "" {
		return nil, nil
	}
	now := s.Clock.Now()
	recent, err := s.Repo.RecentFlows(ctx, clientID, flow.SignUp, now.Add(-flow.SameStartWindow))
	if err != nil {
		return nil, err
	}
	recent = slices.DeleteFunc(recent, func(o *flow.Flow) bool { return o.Data.Captcha != in.Captcha })
	if len(recent) == 0 {
		return nil, nil
	}
	if s.invitedOnly(in) != nil {
		return nil, ErrNotRepeat
	}
	d, err := s.validate(ctx, in, s.formFields(), false)
	if err != nil {
		return nil, ErrNotRepeat // not the form that passed: it would not have started
	}
	d.InvitationID = in.InvitationID
	if s.LegalConsent && in.LegalAccepted {
		d.LegalAcceptedAt = &now
	}
	if s.Fields.Shown[FieldPassword] && in.Password != "" {
		d.PasswordHash = "set"
	}
	f := &flow.Flow{RedirectURL: redirectURL, Data: d}
	for _, o := range recent {
		if !sameStart(o, f, now) {
			continue
		}
		if same, err := s.samePassword(ctx, o, d.PasswordHash != "", in.Password); err != nil {
			return nil, err
		} else if same {
			return o, nil
		}
	}
	return nil, ErrNotRepeat
}

// nextStrategy is the verification the flow needs next, or "".
func (s *Service) nextStrategy(f *flow.Flow) string {
	switch {
	case f.Data.Email != "" && !f.Data.EmailVerified:
		if f.Data.Strategy == s.EmailAlt && s.EmailAlt != "" {
			return s.EmailAlt
		}
		return s.EmailVia
	case f.Data.Phone != "" && !f.Data.PhoneVerified:
		return flow.PhoneCode
	}
	return ""
}

// Resend sends the current verification again (after the cooldown).
func (s *Service) Resend(ctx context.Context, f *flow.Flow, m flow.Meta) error {
	if f.Status != flow.MissingRequirements || f.Data.Strategy == "" {
		return ErrFlowGone
	}
	return s.send(ctx, f, m)
}

// Switch changes how the email address is verified (code ↔ link) and sends.
func (s *Service) Switch(ctx context.Context, f *flow.Flow, strategy string, m flow.Meta) error {
	if f.Status != flow.MissingRequirements || f.Data.Email == "" || f.Data.EmailVerified ||
		(strategy != s.EmailVia && strategy != s.EmailAlt) || strategy == "" {
		return apperr.New(apperr.Invalid, "That way of verifying isn't available.").T("error.signup.strategy_unavailable")
	}
	if f.Data.Strategy == strategy {
		return nil
	}
	f.Data.Strategy, f.UpdatedAt = strategy, s.Clock.Now()
	if err := s.save(ctx, s.Repo, f); err != nil {
		return err
	}
	return s.send(ctx, f, m)
}

// send issues the current verification; one that could not be sent is
// forgotten, so the person may ask again at once.
func (s *Service) send(ctx context.Context, f *flow.Flow, m flow.Meta) error {
	err := s.sendOnce(ctx, f, m)
	if e, ok := apperr.As(err); ok && e.Code != apperr.RateLimited && f.Data.Strategy != "" {
		_ = s.Codes.Cancel(ctx, s.Repo, f.ID, f.Data.Strategy)
	}
	return err
}

// sendOnce issues the current verification. When the address already has an
// account the secret goes nowhere and its owner is told instead, so the
// visitor sees the same steps either way (REQ-RL-05); a taken phone number
// gets nothing (a text costs money and would reveal nothing useful).
func (s *Service) sendOnce(ctx context.Context, f *flow.Flow, m flow.Meta) error {
	switch f.Data.Strategy {
	case flow.EmailCode:
		code, err := s.Codes.Issue(ctx, s.Repo, f.ID, flow.EmailCode, f.Data.Email, m.IP)
		if err != nil {
			return err
		}
		if f.Data.ExistingUser {
			return s.tellOwner(ctx, f.Data.Email)
		}
		return s.Notifier.SendCode(ctx, f.Data.Email, code, "sign-up")
	case flow.EmailLink:
		tok, err := s.Codes.IssueLink(ctx, s.Repo, f.ID, flow.EmailLink, f.Data.Email, m.IP)
		if err != nil {
			return err
		}
		if f.Data.ExistingUser {
			return s.tellOwner(ctx, f.Data.Email)
		}
		return s.Notifier.SendLink(ctx, f.Data.Email, signin.LinkURL(s.BaseURL, tok), "sign-up")
	case flow.PhoneCode:
		code, err := s.Codes.Issue(ctx, s.Repo, f.ID, flow.PhoneCode, f.Data.Phone, m.IP)
		if err != nil || f.Data.PhoneTaken {
			return err
		}
		return s.Notifier.SendSMSCode(ctx, f.Data.Phone, code, "sign-up")
	}
	return nil
}

// Load returns the flow when it belongs to clientID and can still be used.
func (s *Service) Load(ctx context.Context, clientID, flowID string) (*flow.Flow, error) {
	if clientID == "" { // a browser without a client began nothing
		return nil, ErrFlowGone
	}
	return flow.Find(ctx, s.Repo, flow.SignUp, flowID, clientID, s.Clock.Now(), ErrFlowGone)
}

// byID returns the flow whichever browser began it (email links).
func (s *Service) byID(ctx context.Context, flowID string) (*flow.Flow, error) {
	return flow.Find(ctx, s.Repo, flow.SignUp, flowID, "", s.Clock.Now(), ErrFlowGone)
}

// Verify checks the code of the current verification. When more remains to
// verify, the next one is sent and the session is nil; when all is done the
// user, its identifiers and a session are created in one transaction.
func (s *Service) Verify(ctx context.Context, f *flow.Flow, code string, m flow.Meta) (*session.Session, error) {
	if f.Status != flow.MissingRequirements {
		return nil, ErrFlowGone
	}
	strategy := f.Data.Strategy
	if strategy != flow.EmailCode && strategy != flow.PhoneCode {
		return nil, apperr.New(apperr.Invalid, "Open the link in the email we sent you to continue.").T("error.signin.open_link")
	}
	if _, err := s.Codes.Check(ctx, s.Repo, f.ID, strategy, code); err != nil {
		return nil, err
	}
	return s.verified(ctx, f, strategy, m)
}

// verified records that strategy's verification succeeded and moves on.
func (s *Service) verified(ctx context.Context, f *flow.Flow, strategy string, m flow.Meta) (*session.Session, error) {
	if strategy == flow.PhoneCode {
		f.Data.PhoneVerified = true
	} else {
		f.Data.EmailVerified = true
	}
	f.Data.VerifiedBy = strategy
	f.Data.Strategy = s.nextStrategy(f)
	f.UpdatedAt = s.Clock.Now()
	if f.Data.Strategy != "" {
		if err := s.save(ctx, s.Repo, f); err != nil {
			return nil, err
		}
		return nil, s.send(ctx, f, m)
	}
	return s.complete(ctx, f, m)
}

// Continue completes, in the browser that began it, a sign-up whose email
// link was confirmed on another device. Nil session: nothing new yet.
func (s *Service) Continue(ctx context.Context, f *flow.Flow, m flow.Meta) (*session.Session, error) {
	if f.Status != flow.MissingRequirements || f.Data.Strategy != "" || len(f.Data.Missing) > 0 {
		return nil, nil
	}
	return s.complete(ctx, f, m)
}

// ConfirmLink handles a confirmed sign-up link (consumed by the caller).
func (s *Service) ConfirmLink(ctx context.Context, v *flow.Verification, clientID string, m flow.Meta) (*signin.LinkResult, error) {
	f, err := s.byID(ctx, v.FlowID)
	if err != nil {
		return nil, err
	}
	if f.Status != flow.MissingRequirements || f.Data.EmailVerified || f.Data.ExistingUser {
		return nil, ErrFlowGone
	}
	if flow.OwnedBy(ctx, s.Repo, f, clientID) { // this browser asked, in this tab or another
		sess, err := s.verified(ctx, f, flow.EmailLink, m)
		return &signin.LinkResult{Flow: f, Session: sess}, err
	}
	// Another device: record the verification; the first browser carries on.
	f.Data.EmailVerified, f.Data.VerifiedBy, f.UpdatedAt = true, flow.EmailLink, s.Clock.Now()
	f.Data.Strategy = s.nextStrategy(f)
	if err := s.save(ctx, s.Repo, f); err != nil {
		return nil, err
	}
	return &signin.LinkResult{Flow: f, OtherDevice: true}, nil
}

// takeUpInvitation gives u, about to be created, the public metadata of the
// application invitation the sign-up began from, so that user.created
// carries it, and returns the invitation, marked accepted, for the caller to
// store; nil when there is none or it can no longer be used (the sign-up
// goes ahead all the same).
func (s *Service) takeUpInvitation(ctx context.Context, r Repo, f *flow.Flow, u *user.User, now time.Time) (*invitation.Invitation, error) {
	if f.Data.InvitationID == "" {
		return nil, nil
	}
	inv, err := r.AppInvitationByID(ctx, f.Data.InvitationID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	md, err := inv.TakeUp(u, now)
	if err != nil {
		return nil, nil
	}
	u.PublicMetadata = md
	return inv, nil
}

func (s *Service) complete(ctx context.Context, f *flow.Flow, m flow.Meta) (*session.Session, error) {
	if s.needsLegal(f) {
		// A flow begun before consent was asked for: the box is what it
		// still needs, on the step that asks for missing fields. No
		// account without it, whichever way the flow got here.
		if !slices.Contains(f.Data.Missing, FieldLegal) {
			f.Data.Missing = append(f.Data.Missing, FieldLegal)
		}
		f.UpdatedAt = s.Clock.Now()
		return nil, s.save(ctx, s.Repo, f)
	}
	// The lists may have changed since the form was sent (entries come and
	// go through the Backend API): they judge the account as it is made.
	if e, err := s.Restrict.CheckAccount(ctx, identifiers(f.Data)...); err != nil {
		return nil, err
	} else if e != nil {
		return nil, e
	}
	var sess *session.Session
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		u := &user.User{ID: id.New(id.User), FirstName: f.Data.FirstName, LastName: f.Data.LastName,
			PasswordHash: f.Data.PasswordHash, CreatedAt: now, UpdatedAt: now, LastSignInAt: &now,
			LegalAcceptedAt: f.Data.LegalAcceptedAt, Locale: f.Data.Locale}
		add := func(kind, value string, verified bool) string {
			if value == "" {
				return ""
			}
			i := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: kind, Value: value, CreatedAt: now, UpdatedAt: now}
			if verified {
				i.VerifiedAt = &now
			}
			u.Identifiers = append(u.Identifiers, i)
			return i.ID
		}
		u.PrimaryEmailID = add(user.Email, f.Data.Email, true)
		add(user.Phone, f.Data.Phone, true)
		add(user.Username, f.Data.Username, false)
		if x := f.Data.External; x != nil {
			u.ExternalAccounts = []user.ExternalAccount{{ID: cmp.Or(x.AccountID, id.New("eac")), UserID: u.ID, Provider: x.Provider,
				Subject: x.Subject, Email: x.Email, EmailVerified: x.EmailVerified, FirstName: x.FirstName,
				LastName: x.LastName, Username: x.Username, AvatarURL: x.AvatarURL, CreatedAt: now, UpdatedAt: now}}
		}
		// Invite-only: the invitation that let the sign-up begin must still
		// stand as the account is made; one revoked meanwhile (or the
		// waiting-list entry rejected) stops it.
		if s.Restricted {
			if ok, err := r.InvitedAddress(ctx, f.Data.Email, now); err != nil {
				return err
			} else if !ok {
				return ErrInvitationOnly
			}
		}
		taken, err := s.takeUpInvitation(ctx, r, f, u, now)
		if err != nil {
			return err
		}
		if err := r.CreateUser(ctx, u); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return apperr.New(apperr.Conflict, "Someone registered this email address, phone number or username meanwhile. Sign in instead, or start again.").T("error.signup.taken")
			}
			return err
		}
		if x := f.Data.External; x != nil && x.Token != nil && x.Token.ExternalAccountID == u.ExternalAccounts[0].ID {
			if err := r.SaveOAuthToken(ctx, *x.Token); err != nil {
				return err
			}
		}
		if taken != nil {
			// A revocation that landed meanwhile wins; the account stands.
			switch err := r.UpdateAppInvitation(ctx, taken, invitation.Pending); {
			case err == nil:
				if err := taken.Record(ctx, r, events.AppInvitationAccepted, now); err != nil {
					return err
				}
			case !errors.Is(err, apperr.ErrConflict):
				return err
			}
		}
		e, err := events.New(events.UserCreated, u.ID, u.ToObject(now, s.UserAbilities), now)
		if err != nil {
			return err
		}
		if err := r.InsertEvent(ctx, e); err != nil {
			return err
		}
		if s.Domains != nil {
			if err := s.Domains.Enroll(ctx, r, u, u.VerifiedEmails()); err != nil {
				return err
			}
		}
		if sess, err = s.Sessions.Start(ctx, r, session.Proof{ClientID: f.ClientID, UserID: u.ID, IP: m.IP,
			UserAgent: m.UserAgent, Strategy: signUpStrategy(f.Data), FirstFactorAt: now}); err != nil {
			return err
		}
		f.Status, f.UserID, f.SessionID, f.UpdatedAt, f.Data.FirstFactorAt = flow.Complete, u.ID, sess.ID, now, &now
		f.Data.PasswordHash = "" // the user has it now; the flow need not keep a copy
		if f.Data.External != nil {
			f.Data.External.Token = nil // and its account has this
		}
		if err := r.UpdateFlow(ctx, f); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrFlowGone
			}
			return err
		}
		return nil
	})
	return sess, err
}

func (s *Service) save(ctx context.Context, r Repo, f *flow.Flow) error {
	err := r.UpdateFlow(ctx, f)
	if errors.Is(err, apperr.ErrConflict) {
		return apperr.New(apperr.Conflict, "This sign-up was changed in another tab. Please try again.").T("error.signup.changed")
	}
	return err
}

// FormError reports problems with several sign-up fields at once.
type FormError struct {
	Fields map[string]string // field name → message, in English
	// Errors holds the same messages as catalog messages, for pages in
	// the person's language.
	Errors map[string]*apperr.Error
	err    error
}

func (e *FormError) Error() string { return "signup: invalid form" }
func (e *FormError) Unwrap() error { return e.err }

const maxName = 100

// validate checks the fields of fs and returns the flow data for a valid
// form. external is true when a provider account will let the person sign
// in, so an email address or phone number is not needed for that.
func (s *Service) validate(ctx context.Context, in Form, fs Fields, external bool) (flow.Data, error) {
	fields := map[string]*apperr.Error{}
	var d flow.Data
	need := func(name, value string, msg *apperr.Error) bool {
		if !fs.Shown[name] {
			return false
		}
		if strings.TrimSpace(value) == "" {
			if fs.Required[name] {
				fields[name] = msg
			}
			return false
		}
		return true
	}
	if need(FieldEmail, in.Email, told("Enter your email address.").T("error.identifier.email")) {
		if v, err := notify.ValidAddress(in.Email); err != nil {
			fields[FieldEmail] = orID(message(err), "error.identifier.email_invalid")
		} else if e, err := s.Restrict.CheckNew(ctx, user.Email, user.NormalizeEmail(v)); err != nil {
			return d, err
		} else if e != nil {
			fields[FieldEmail] = e
		} else {
			d.Email = user.NormalizeEmail(v)
			taken, err := s.taken(ctx, user.Email, d.Email)
			if err != nil {
				return d, err
			}
			d.ExistingUser = taken
		}
	}
	if need(FieldPhone, in.Phone, told("Enter your phone number.").T("error.identifier.phone")) {
		if n, err := phone.Parse(in.Phone, s.PhoneRegion); err != nil {
			fields[FieldPhone] = message(err)
		} else if err := s.Countries.Check(n); err != nil {
			fields[FieldPhone] = message(err)
		} else if e, err := s.Restrict.CheckNew(ctx, user.Phone, n.E164); err != nil {
			return d, err
		} else if e != nil {
			fields[FieldPhone] = e
		} else {
			d.Phone = n.E164
			taken, err := s.taken(ctx, user.Phone, d.Phone)
			if err != nil {
				return d, err
			}
			d.PhoneTaken = taken
		}
	}
	if need(FieldUsername, in.Username, told("Choose a username.").T("error.signup.choose_username")) {
		if v, err := user.NormalizeUsername(in.Username); err != nil {
			fields[FieldUsername] = message(err)
		} else if e, err := s.Restrict.CheckNew(ctx, user.Username, v); err != nil {
			return d, err
		} else if e != nil {
			fields[FieldUsername] = e
		} else if taken, err := s.taken(ctx, user.Username, v); err != nil {
			return d, err
		} else if taken {
			fields[FieldUsername] = told("That username is taken. Please choose another.").T("error.signup.username_taken")
		} else {
			d.Username = v
		}
	}
	first, last := strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName)
	for _, f := range []struct {
		name, value string
		empty       *apperr.Error
	}{
		{FieldFirstName, first, told("Enter your first name.").T("error.signup.first_name")},
		{FieldLastName, last, told("Enter your last name.").T("error.signup.last_name")}} {
		switch {
		case !fs.Shown[f.name]:
		case fs.Required[f.name] && f.value == "":
			fields[f.name] = f.empty
		case !utf8.ValidString(f.value):
			fields[f.name] = told("Use letters, spaces and punctuation only.").T("error.signup.name_characters")
		case utf8.RuneCountInString(f.value) > maxName:
			fields[f.name] = told(fmt.Sprintf("Use at most %d characters.", maxName)).T("error.signup.name_too_long", "Count", maxName)
		case strings.ContainsFunc(f.value, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			fields[f.name] = told("Use letters, spaces and punctuation only.").T("error.signup.name_characters")
		}
	}
	d.FirstName, d.LastName = first, last
	if fs.Shown[FieldPassword] {
		words := []string{s.AppName, "portal", d.Username}
		if local, _, ok := strings.Cut(d.Email, "@"); ok {
			words = append(words, local)
		}
		if in.Password == "" {
			if fs.Required[FieldPassword] {
				fields[FieldPassword] = told("Enter a password.").T("error.signup.password_required")
			}
		} else if err := s.Policy.Check(ctx, in.Password, words...); err != nil {
			fields[FieldPassword] = message(err)
		}
	}
	if !external && len(fields) == 0 && d.Email == "" && d.Phone == "" && (d.Username == "" || in.Password == "") {
		fields[""] = told("Enter an email address or phone number so you can sign in later.").T("error.signup.need_email_or_phone")
	}
	// A provider sign-up judges all its identifiers together (Fill).
	if !external && len(fields) == 0 {
		if ok, err := s.Restrict.AllowsAny(ctx, identifiers(d)...); err != nil {
			return d, err
		} else if !ok {
			field := firstGiven(d)
			fields[field] = restrict.ErrNoneAllowed(field)
		}
	}
	if fs.Required[FieldLegal] && !in.LegalAccepted {
		fields[FieldLegal] = ErrLegalRequired
	}
	if len(fields) > 0 {
		fe := &FormError{Fields: map[string]string{}, Errors: fields}
		for name, e := range fields {
			fe.Fields[name] = e.Message
		}
		return d, fe
	}
	return d, nil
}

// tellOwner tells the owner of email, an address with an account, that
// someone tried to sign up with it, in the owner's language. An account
// gone meanwhile is told nothing.
func (s *Service) tellOwner(ctx context.Context, email string) error {
	u, err := s.Repo.UserByIdentifier(ctx, user.Email, email)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.Notifier.SendExistingAccount(ctx, email, u.Locale)
}

func (s *Service) taken(ctx context.Context, kind, value string) (bool, error) {
	_, err := s.Repo.UserByIdentifier(ctx, kind, value)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// orID gives e the catalog message id when it has none.
func orID(e *apperr.Error, id string) *apperr.Error {
	if e.ID != "" {
		return e
	}
	return e.T(id)
}

// told is a message about a field of the form.
func told(msg string) *apperr.Error { return apperr.New(apperr.Invalid, msg) }

// message is what a person is told about a value err refused.
func message(err error) *apperr.Error {
	if e, ok := apperr.As(err); ok {
		return e
	}
	return told("This value isn't valid.").T("error.signup.invalid_value")
}

// identifiers are the identifiers the new account would have.
func identifiers(d flow.Data) []restrict.Identifier {
	return []restrict.Identifier{{Kind: user.Email, Value: d.Email}, {Kind: user.Phone, Value: d.Phone},
		{Kind: user.Username, Value: d.Username}}
}

// firstGiven is the form field of the first identifier given.
func firstGiven(d flow.Data) string {
	for _, i := range identifiers(d) {
		if i.Value != "" {
			return i.Kind // the kinds are the field names
		}
	}
	return ""
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// signUpStrategy names, by Clerk's strategy names, how a sign-up proved who
// the person is: the provider it came through, else the password chosen,
// else the address or number it verified; "" for none of those.
func signUpStrategy(d flow.Data) string {
	switch {
	case d.External != nil:
		return "oauth_" + d.External.Provider
	case d.PasswordHash != "":
		return flow.Password
	}
	return d.VerifiedBy
}
