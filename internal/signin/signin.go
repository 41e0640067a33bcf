// Package signin is the sign-in flow: identifier first, then a first factor
// (password, email code or link, text-message code, passkey), then — for
// accounts that enrolled one — a second factor (authenticator app, backup
// code, text-message code), persisted so each step is a separate request;
// and the password reset that branches off it. A session exists only once
// every step passed (REQ-IN-09).
package signin

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/user"
)

// Repo is what sign-in needs from the store.
type Repo interface {
	session.Repo
	flow.CodeStore
	CreateFlow(ctx context.Context, f *flow.Flow) error
	flow.OnceCreator
	FlowByID(ctx context.Context, id string) (*flow.Flow, error)
	UpdateFlow(ctx context.Context, f *flow.Flow) error
	UserByID(ctx context.Context, id string) (*user.User, error)
	// SignInOwner is the ID of the user an identifier signs in (verified, or
	// a username); ErrNotFound when none.
	SignInOwner(ctx context.Context, kind, value string) (string, error)
	FailureRecorder
	RecordSignIn(ctx context.Context, userID string, now time.Time) error
	SetPassword(ctx context.Context, userID, hash string, at time.Time) error
	// MarkPasswordCompromised marks a password found in a data breach at
	// sign-in, while it is still the one whose hash is hash.
	MarkPasswordCompromised(ctx context.Context, userID, hash string, at time.Time) error
	// Sign-in tokens are spent in the transaction that signs in.
	signintoken.Spender
}

// Service runs sign-in flows.
type Service struct {
	Clock       clockwork.Clock
	Repo        Repo
	InTx        func(ctx context.Context, fn func(Repo) error) error
	Sessions    *session.Service
	Identifiers flow.Identifiers
	Strategies  []flow.Strategy // in the order they are offered
	// SecondFactors are offered after the first to users who enrolled one,
	// in this order (totp, backup_code, phone_code). Email is never one
	// (REQ-OTP-07).
	SecondFactors []flow.Strategy
	// Lockout counts failed second-factor attempts like failed passwords.
	Lockout Lockout
	// Password reset.
	Hasher   *password.Hasher
	Policy   password.Policy
	AppName  string
	Notifier flow.Notifier
	// LinkOtherDeviceSession lets an email link opened on another device
	// sign that device in too; by default only the device that asked does.
	LinkOtherDeviceSession bool
	// Restrict refuses identifiers the operator's lists exclude (nil:
	// none), judged on what was typed alone.
	Restrict *restrict.Rules
	// Strict is PORTAL_ENUMERATION_PROTECTION=strict: the ways in offered
	// after the identifier depend on the kind of identifier typed alone, not
	// on what the account holds, and an account's own address or number is
	// never shown (REQ-RL-05).
	Strict bool
	// Tickets are the Backend API's sign-in tokens (nil: their links
	// sign nobody in).
	Tickets *signintoken.Service
	// Watch is told of each sign-in that started a session (nil: nobody
	// is): the new sign-in email (package newdevice).
	Watch Watcher
	// UserAbilities are what the instance lets users do, for the user
	// objects of the events written.
	UserAbilities user.Abilities
}

// Watcher is told of each sign-in that started sess, by the strategy of
// its first factor (flow.Password, "oauth_github", …), once the session is
// stored. It must return at once: the person is waiting for the answer.
type Watcher interface {
	SignedIn(ctx context.Context, sess *session.Session, method string)
}

// signedIn tells s.Watch of a sign-in that started sess. A sign-in that
// set a new password (a reset code, then the second step) is not told:
// the password-changed email went to the owner already.
func (s *Service) signedIn(ctx context.Context, sess *session.Session, method string) {
	if s.Watch != nil && sess != nil && !isReset(method) {
		s.Watch.SignedIn(ctx, sess, method)
	}
}

// ErrFlowGone is shown when a flow is unknown, expired, finished or belongs
// to another browser.
var ErrFlowGone = apperr.New(apperr.Expired, "This sign-in has expired. Please start again.").T("error.signin.expired")

// Start begins a sign-in with the identifier a person typed. The same start
// from the same browser a moment before (flow.SameStartWindow: a double
// click) is not begun again: Start returns that flow, with again set, and
// the caller sends nothing for it.
func (s *Service) Start(ctx context.Context, clientID, identifier, redirectURL string) (f *flow.Flow, again bool, err error) {
	kind, value, err := s.Identifiers.Parse(identifier)
	if err != nil {
		return nil, false, err
	}
	// Policy, not accounts: the answer is the same whether or not the
	// identifier has one, so it gives nothing away (REQ-RL-05).
	if e, err := s.Restrict.CheckSignIn(ctx, kind, value); err != nil {
		return nil, false, err
	} else if e != nil {
		e.Field = "identifier"
		return nil, false, e
	}
	// An unverified address signs nobody in: the flow goes on as for an
	// unknown one.
	owner, err := s.Repo.SignInOwner(ctx, kind, value)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return nil, false, err
	}
	now := s.Clock.Now()
	f = &flow.Flow{ID: id.New(id.SignIn), Kind: flow.SignIn, ClientID: clientID, Status: flow.NeedsFirstFactor,
		Identifier: value, RedirectURL: redirectURL, CreatedAt: now, UpdatedAt: now, ExpireAt: now.Add(flow.Lifetime),
		Data: flow.Data{IdentifierKind: kind, Browser: session.BrowserMark(ctx)}, UserID: owner}
	// Whether the account exists plays no part in what counts as the same
	// start (REQ-RL-05).
	got, created, err := s.Repo.CreateFlowOnce(ctx, f, now.Add(-flow.SameStartWindow), func(o *flow.Flow) bool {
		return o.Status == flow.NeedsFirstFactor && o.Data.FirstFactor == "" && !o.Data.Chosen && o.Identifier == value &&
			o.Data.IdentifierKind == kind && o.RedirectURL == redirectURL && !o.Expired(now)
	})
	if err != nil {
		return nil, false, err
	}
	return got, !created, nil
}

// Load returns the flow when it belongs to clientID and can still be used.
func (s *Service) Load(ctx context.Context, clientID, flowID string) (*flow.Flow, error) {
	if clientID == "" { // a browser without a client began nothing
		return nil, ErrFlowGone
	}
	return flow.Find(ctx, s.Repo, flow.SignIn, flowID, clientID, s.Clock.Now(), ErrFlowGone)
}

// byID returns the flow whichever browser began it (email links).
func (s *Service) byID(ctx context.Context, flowID string) (*flow.Flow, error) {
	return flow.Find(ctx, s.Repo, flow.SignIn, flowID, "", s.Clock.Now(), ErrFlowGone)
}

// Offered lists the first factors shown for the flow, in order. Password
// resets are not first factors and are listed by ResetOffered.
func (s *Service) Offered(ctx context.Context, f *flow.Flow) ([]string, error) {
	return s.offered(ctx, f, false)
}

// ResetOffered lists the ways a password reset code can be sent.
func (s *Service) ResetOffered(ctx context.Context, f *flow.Flow) ([]string, error) {
	return s.offered(ctx, f, true)
}

func (s *Service) offered(ctx context.Context, f *flow.Flow, reset bool) ([]string, error) {
	u, err := s.user(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range s.Strategies {
		if isReset(st.Name()) == reset && s.offers(st, f, u) {
			out = append(out, st.Name())
		}
	}
	return out, nil
}

// offers decides whether st is offered on f: by what the account holds, as
// the contract has it ("the factors this user and instance allow"), or under
// Strict by the kind of identifier typed alone.
func (s *Service) offers(st flow.Strategy, f *flow.Flow, u *user.User) bool {
	if !s.Strict {
		return st.Offered(f, u)
	}
	switch st.Name() {
	case flow.Password, flow.Passkey:
		return true
	}
	return Reaches(f.Data.IdentifierKind, flow.Channel(st.Name()))
}

func isReset(strategy string) bool {
	return strategy == flow.ResetPasswordEmailCode || strategy == flow.ResetPasswordPhoneCode
}

// Destination is where the flow's strategy sends its code or link, as shown
// to the person: what they typed when it is that, else the account's address
// or number partly hidden, or "" when there is none to show. Strict never
// shows an account's own (for an unknown username there is none, and the
// difference would give the account away, REQ-RL-05).
func (s *Service) Destination(ctx context.Context, f *flow.Flow, strategy string) (string, error) {
	typed := flow.Channel(strategy) == "sms" && f.Data.IdentifierKind == user.Phone ||
		flow.Channel(strategy) == "email" && f.Data.IdentifierKind == user.Email
	if typed {
		return f.Identifier, nil
	}
	if s.Strict {
		return "", nil
	}
	u, err := s.user(ctx, f)
	if err != nil {
		return "", err
	}
	target := EmailTarget(f, u)
	if flow.Channel(strategy) == "sms" {
		target = PhoneTarget(f, u)
	}
	if target == "" {
		return "", nil
	}
	return Mask(target), nil
}

// Prepare starts a factor (e.g. sends the email code) and remembers it as
// the flow's chosen strategy.
func (s *Service) Prepare(ctx context.Context, f *flow.Flow, strategy string, m flow.Meta) error {
	return s.prepare(ctx, f, strategy, m, false)
}

func (s *Service) prepare(ctx context.Context, f *flow.Flow, strategy string, m flow.Meta, chosen bool) error {
	if f.Status != flow.NeedsFirstFactor {
		return ErrFlowGone
	}
	st, u, err := s.strategy(ctx, f, strategy)
	if err != nil {
		return err
	}
	if err := st.Prepare(ctx, f, u, m); err != nil {
		return err
	}
	if f.Data.Strategy == strategy && (f.Data.Chosen || !chosen) {
		return nil
	}
	f.Data.Strategy, f.Data.Chosen, f.UpdatedAt = strategy, f.Data.Chosen || chosen, s.Clock.Now()
	return s.save(ctx, s.Repo, f)
}

// Choose is Prepare for a factor the person picked on the page ("Email a
// code instead"): from then on the same identifier typed again starts a new
// sign-in instead of coming back to this one (Start).
func (s *Service) Choose(ctx context.Context, f *flow.Flow, strategy string, m flow.Meta) error {
	return s.prepare(ctx, f, strategy, m, true)
}

// Attempt checks a first factor. On success the flow completes and a new
// session starts, in one transaction. It returns a nil session when the
// flow moved on instead: to needs_second_factor, or (a verified reset code)
// to needs_new_password.
func (s *Service) Attempt(ctx context.Context, f *flow.Flow, strategy string, in flow.Input, meta flow.Meta) (*session.Session, error) {
	if f.Status != flow.NeedsFirstFactor {
		return nil, ErrFlowGone
	}
	st, u, err := s.strategy(ctx, f, strategy)
	if err != nil {
		return nil, err
	}
	if err := st.Attempt(ctx, f, u, in); err != nil {
		return nil, err
	}
	if u == nil { // a strategy must never verify an unknown account
		return nil, errors.New("signin: strategy verified a flow without a user")
	}
	if strategy == flow.Password && u.PasswordCompromised() {
		return nil, s.refuseCompromised(ctx, f)
	}
	if strategy == flow.Password && s.Policy.Breached(ctx, in.Password) {
		return nil, s.refuseBreached(ctx, f, u)
	}
	if isReset(strategy) {
		now := s.Clock.Now()
		f.Status, f.Data.ResetVerifiedAt, f.Data.Strategy, f.UpdatedAt = flow.NeedsNewPassword, &now, strategy, now
		return nil, s.save(ctx, s.Repo, f)
	}
	return s.complete(ctx, f, u, meta, strategy)
}

// complete ends the first-factor step with first verified. A user with a
// second factor goes on to needs_second_factor and has no session yet; the
// others get their session now. A passkey with user verification is
// possession and a PIN or biometric in one, so it counts as both factors.
func (s *Service) complete(ctx context.Context, f *flow.Flow, u *user.User, meta flow.Meta, first string) (*session.Session, error) {
	now := s.Clock.Now()
	if first != flow.Passkey && s.NeedsSecondFactor(u) {
		f.Status, f.Data.FirstFactor, f.Data.FirstFactorAt, f.Data.Strategy, f.UpdatedAt =
			flow.NeedsSecondFactor, first, &now, "", now
		return nil, s.save(ctx, s.Repo, f)
	}
	var second *time.Time
	if first == flow.Passkey {
		second = &now
	}
	return s.finish(ctx, f, u, meta, first, now, second)
}

// finish starts the session and marks the flow complete, in one transaction.
// An account whose password is marked as compromised gets no session yet:
// every factor passed, and the flow moves on to needs_new_password (Clerk's
// reset-password session task, which its SDKs treat as signed out until it
// is done). first is the first factor's strategy, for s.Watch.
func (s *Service) finish(ctx context.Context, f *flow.Flow, u *user.User, meta flow.Meta, first string, firstAt time.Time, secondAt *time.Time) (*session.Session, error) {
	if u.PasswordCompromised() {
		awaitNewPassword(f, first, firstAt, secondAt, s.Clock.Now())
		return nil, s.save(ctx, s.Repo, f)
	}
	var sess *session.Session
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := r.RecordSignIn(ctx, u.ID, now); err != nil {
			return err
		}
		var err error
		if sess, err = s.Sessions.Start(ctx, r, session.Proof{ClientID: f.ClientID, UserID: u.ID, IP: meta.IP,
			UserAgent: meta.UserAgent, Strategy: first, FirstFactorAt: firstAt, SecondFactorAt: secondAt}); err != nil {
			return err
		}
		f.Status, f.SessionID, f.UpdatedAt, f.Data.FirstFactorAt = flow.Complete, sess.ID, now, &firstAt
		return s.save(ctx, r, f)
	})
	if err != nil {
		return nil, err
	}
	s.signedIn(ctx, sess, first)
	return sess, nil
}

// ErrPasswordCompromised answers the right password of an account whose
// password is marked as compromised: it signs nobody in until a new one is
// set. Only the right password hears it; a wrong one is ErrBadPassword as
// for any account, so the mark tells nothing to whoever does not know the
// password (REQ-RL-05).
var ErrPasswordCompromised = apperr.Field(apperr.Invalid, "password",
	"Your password may have been exposed, so it has to be changed before you can sign in.").T("error.signin.password_compromised")

// refuseCompromised answers the right password of a marked account: the
// flow remembers that the person proved it, for the reset pages that
// follow, and stays at its first factor, from which the reset begins.
func (s *Service) refuseCompromised(ctx context.Context, f *flow.Flow) error {
	if !f.Data.PasswordCompromised {
		f.Data.PasswordCompromised, f.UpdatedAt = true, s.Clock.Now()
		if err := s.save(ctx, s.Repo, f); err != nil {
			return err
		}
	}
	return ErrPasswordCompromised
}

// ErrPasswordBreached answers the right password when it is found in a
// data breach (Policy.Breaches): as ErrPasswordCompromised, it signs
// nobody in until a new one is set. A wrong password is never looked up.
var ErrPasswordBreached = apperr.Field(apperr.Invalid, "password",
	"Your password has appeared in a data breach, so it has to be changed before you can sign in.").T("error.signin.password_breached")

// refuseBreached answers the right password found in a data breach. The
// password is marked as compromised, as the operator's set_compromised
// would, so every other way in asks for a new one too and the next
// sign-in needs no lookup; then it is refused as a marked one.
func (s *Service) refuseBreached(ctx context.Context, f *flow.Flow, u *user.User) error {
	if err := s.Repo.MarkPasswordCompromised(ctx, u.ID, u.PasswordHash, s.Clock.Now()); err != nil {
		return err
	}
	f.Data.PasswordBreached = true
	f.Data.PasswordCompromised, f.UpdatedAt = true, s.Clock.Now()
	if err := s.save(ctx, s.Repo, f); err != nil {
		return err
	}
	return ErrPasswordBreached
}

// awaitNewPassword moves f, whose factors all passed (the first at
// firstAt, the second at secondAt or none), to needs_new_password because
// the account's password is marked as compromised: ResetPassword then
// starts the session with those factor times.
func awaitNewPassword(f *flow.Flow, first string, firstAt time.Time, secondAt *time.Time, now time.Time) {
	f.Status, f.Data.Strategy, f.Data.FirstFactor, f.UpdatedAt = flow.NeedsNewPassword, "", first, now
	f.Data.PasswordCompromised, f.Data.FactorsPassed, f.Data.ResetVerifiedAt = true, true, &now
	f.Data.FirstFactorAt, f.Data.SecondFactorAt = &firstAt, secondAt
}

// NeedsSecondFactor reports whether u enrolled a second factor this
// instance offers, so that signing in takes a second step.
func (s *Service) NeedsSecondFactor(u *user.User) bool {
	for _, st := range s.SecondFactors {
		switch st.Name() {
		case flow.TOTP:
			if u.TOTP {
				return true
			}
		case flow.PhoneCode:
			if u.SecondFactorPhone != "" {
				return true
			}
		}
	}
	return false
}

func (s *Service) strategy(ctx context.Context, f *flow.Flow, name string) (flow.Strategy, *user.User, error) {
	u, err := s.user(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	for _, st := range s.Strategies {
		if st.Name() == name && s.offers(st, f, u) {
			return st, u, nil
		}
	}
	return nil, nil, apperr.New(apperr.Invalid, "That way of signing in isn't available. Choose another.").T("error.signin.strategy_unavailable")
}

func (s *Service) user(ctx context.Context, f *flow.Flow) (*user.User, error) {
	if f.UserID == "" {
		return nil, nil
	}
	u, err := s.Repo.UserByID(ctx, f.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

func (s *Service) save(ctx context.Context, r Repo, f *flow.Flow) error {
	err := r.UpdateFlow(ctx, f)
	if errors.Is(err, apperr.ErrConflict) {
		return apperr.New(apperr.Conflict, "This sign-in was changed in another tab. Please try again.").T("error.signin.changed")
	}
	return err
}

// emitUserUpdated records user.updated for u, re-read inside r.
func (s *Service) emitUserUpdated(ctx context.Context, r Repo, userID string, now time.Time) error {
	u, err := r.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	e, err := events.New(events.UserUpdated, u.ID, u.ToObject(now, s.UserAbilities), now)
	if err != nil {
		return err
	}
	return r.InsertEvent(ctx, e)
}
