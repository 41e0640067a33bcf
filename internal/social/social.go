// Package social signs people in and up with accounts at OAuth and OpenID
// providers, and connects such accounts to existing users, under the
// linking rules of REQ-OA-04/05: an account is identified by (provider,
// subject); an email match links only when both sides verified it.
package social

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/oauthtoken"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
)

// Repo is what social sign-in needs from the store.
type Repo interface {
	session.Repo
	ExternalAccount(ctx context.Context, provider, subject string) (*user.ExternalAccount, error)
	CreateExternalAccount(ctx context.Context, x user.ExternalAccount) error
	UpdateExternalAccount(ctx context.Context, x user.ExternalAccount) error
	DeleteExternalAccount(ctx context.Context, userID, id string) error
	UserByID(ctx context.Context, id string) (*user.User, error)
	UserByIdentifier(ctx context.Context, kind, value string) (*user.User, error)
	RecordSignIn(ctx context.Context, userID string, now time.Time) error
	TouchUser(ctx context.Context, userID string, at time.Time) error
	// SaveOAuthToken stores an account's token set, replacing any.
	SaveOAuthToken(ctx context.Context, t user.OAuthToken) error
}

// Service applies the linking rules.
type Service struct {
	Clock    clockwork.Clock
	Repo     Repo
	InTx     func(ctx context.Context, fn func(Repo) error) error
	Sessions *session.Service
	SignUp   *signup.Service
	// SecondStep holds the second step for users who enrolled a second
	// factor: a provider sign-in is their first factor only.
	SecondStep *signin.Service
	// WaysIn is what the instance accepts at sign-in, for the rule that an
	// account always keeps a way in (user.CanSignIn).
	WaysIn user.SignInOptions
	// Restrict refuses provider accounts whose email the blocklist
	// excludes (nil: none); a sign-up through the provider is judged by
	// both lists in signup.StartExternal.
	Restrict *restrict.Rules
	// Tokens seals the provider's token set, kept with the account it
	// signed in or connected (replacing the one before), for relying apps
	// (package oauthtoken).
	Tokens oauthtoken.Sealer
	// Watch is told of each provider sign-in that started a session
	// (nil: nobody is), as signin.Service's is.
	Watch signin.Watcher
	// UserAbilities are what the instance lets users do, for the user
	// objects of the events written.
	UserAbilities user.Abilities
}

// Result is where a provider sign-in ended.
type Result struct {
	Session *session.Session // signed in
	Flow    *flow.Flow       // a sign-up that still needs fields or a verification
	// Next is a sign-in that goes on at a later step before any session
	// exists: the user's second factor (needs_second_factor), or a new
	// password for one marked as compromised (needs_new_password).
	Next *flow.Flow
}

var (
	// ErrLinkRequired: the email belongs to an account, but one side has not
	// verified it, so linking needs the person to prove they own the account.
	ErrLinkRequired = apperr.New(apperr.Conflict,
		"An account with this email address already exists. Sign in to it another way first, then connect this account from your profile.").T("error.social.link_required")
	// ErrTaken: the provider account is connected to someone else.
	ErrTaken = apperr.New(apperr.Conflict, "This account is already connected to another user of this site.").T("error.social.taken")
	// ErrLastWay: removing it would leave no way to sign in.
	ErrLastWay = apperr.New(apperr.Invalid,
		"You can't disconnect your only way to sign in. Set a password or add another way first.").T("error.social.last_way")
	errBanned = apperr.New(apperr.Forbidden, "This account can't sign in. Contact the site's support.").T("error.session.cannot_sign_in")
)

// SignIn signs a person in with a provider account, linking it to an
// account with the same verified email, or begins a sign-up, which inv (the
// invitation the browser holds, if any) may open on a restricted instance
// and which takes an application invitation to the provider's address up
// (signup.StartExternal).
func (s *Service) SignIn(ctx context.Context, clientID string, who *oauth.Identity, inv signup.Invite, redirectURL string, m flow.Meta) (*Result, error) {
	who.Tidy()
	email := accountEmail(who.Email)
	if email != "" {
		if e, err := s.Restrict.CheckSignIn(ctx, user.Email, email); err != nil {
			return nil, err
		} else if e != nil {
			return nil, e
		}
	}
	x, err := s.Repo.ExternalAccount(ctx, who.Provider, who.Subject)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return nil, err
	}
	if x != nil {
		tok, err := s.seal(x.ID, who)
		if err != nil {
			return nil, err
		}
		return s.signInUser(ctx, clientID, x.UserID, refreshed(*x, who, s.Clock.Now()), tok, false, redirectURL, m)
	}
	if email != "" {
		u, err := s.Repo.UserByIdentifier(ctx, user.Email, email)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return nil, err
		}
		if u != nil {
			if !who.EmailVerified || !u.Has(user.Email, email) {
				return nil, ErrLinkRequired
			}
			now := s.Clock.Now()
			link := newExternal(u.ID, who, now)
			tok, err := s.seal(link.ID, who)
			if err != nil {
				return nil, err
			}
			return s.signInUser(ctx, clientID, u.ID, link, tok, true, redirectURL, m)
		}
	}
	// The account's ID is chosen now, so that the token set kept on the
	// sign-up until the account exists is sealed to it.
	pending := external(who)
	pending.AccountID = id.New("eac")
	if pending.Token, err = s.seal(pending.AccountID, who); err != nil {
		return nil, err
	}
	f, sess, err := s.SignUp.StartExternal(ctx, clientID, pending, inv, redirectURL, m)
	if err != nil {
		return nil, err
	}
	return &Result{Session: sess, Flow: f}, nil
}

// accountEmail is the provider's address as an account would hold it, or
// "" when it is not one the portal's own forms take (notify.ValidAddress:
// ASCII, bare). A provider vouches for the address it sent, byte for byte;
// user.NormalizeEmail folds case with Unicode rules, under which the Kelvin
// sign becomes "k" and a dotted capital I becomes "i", so
// "\u212Aate@example.com", another mailbox that someone else may own and
// have a provider verify, would otherwise name kate@example.com's account
// (REQ-OA-05, REQ-IN-06). Sign-up holds the address to the same rule
// (signup.StartExternal), so no account can have such an address.
func accountEmail(raw string) string {
	if raw == "" {
		return ""
	}
	v, err := notify.ValidAddress(raw)
	if err != nil {
		return ""
	}
	return user.NormalizeEmail(v)
}

// signInUser starts a session for userID, saving x (linked when isNew) and
// its token set tok (if any), or the second step when the user has a
// second factor, or the new-password step when their password is marked
// as compromised.
func (s *Service) signInUser(ctx context.Context, clientID, userID string, x user.ExternalAccount, tok *user.OAuthToken, isNew bool, redirectURL string, m flow.Meta) (*Result, error) {
	var (
		sess          *session.Session
		second, renew *user.User
	)
	err := s.InTx(ctx, func(r Repo) error {
		u, err := r.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Banned {
			return errBanned
		}
		now := s.Clock.Now()
		if isNew {
			if err := r.CreateExternalAccount(ctx, x); err != nil {
				if errors.Is(err, apperr.ErrConflict) {
					return ErrTaken
				}
				return err
			}
			if err := s.userUpdated(ctx, r, userID, now); err != nil {
				return err
			}
		} else if err := r.UpdateExternalAccount(ctx, x); err != nil {
			return err
		}
		if tok != nil {
			if err := r.SaveOAuthToken(ctx, *tok); err != nil {
				return err
			}
		}
		if s.SecondStep != nil && s.SecondStep.NeedsSecondFactor(u) {
			second = u
			return nil
		}
		// A password marked as compromised is replaced before any session,
		// whatever the way in (Clerk's reset-password task).
		if s.SecondStep != nil && u.PasswordCompromised() {
			renew = u
			return nil
		}
		if err := r.RecordSignIn(ctx, userID, now); err != nil {
			return err
		}
		sess, err = s.Sessions.Start(ctx, r, session.Proof{ClientID: clientID, UserID: userID, IP: m.IP,
			UserAgent: m.UserAgent, Strategy: "oauth_" + x.Provider, FirstFactorAt: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	if second != nil {
		f, err := s.SecondStep.StartSecondFactor(ctx, clientID, second, "oauth_"+x.Provider, redirectURL)
		if err != nil {
			return nil, err
		}
		return &Result{Next: f}, nil
	}
	if renew != nil {
		f, err := s.SecondStep.StartNewPassword(ctx, clientID, renew, "oauth_"+x.Provider, redirectURL)
		if err != nil {
			return nil, err
		}
		return &Result{Next: f}, nil
	}
	if s.Watch != nil && sess != nil {
		s.Watch.SignedIn(ctx, sess, "oauth_"+x.Provider)
	}
	return &Result{Session: sess}, nil
}

// Connect adds a provider account to a signed-in user. Any email status is
// fine: the person proved both ownerships by being signed in to both.
func (s *Service) Connect(ctx context.Context, userID string, who *oauth.Identity) error {
	who.Tidy()
	return s.InTx(ctx, func(r Repo) error {
		x, err := r.ExternalAccount(ctx, who.Provider, who.Subject)
		switch {
		case err == nil && x.UserID == userID:
			// Connected already: only the token set is new.
			return s.keep(ctx, r, x.ID, who)
		case err == nil:
			return ErrTaken
		case !errors.Is(err, apperr.ErrNotFound):
			return err
		}
		now := s.Clock.Now()
		link := newExternal(userID, who, now)
		if err := r.CreateExternalAccount(ctx, link); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrTaken
			}
			return err
		}
		if err := s.keep(ctx, r, link.ID, who); err != nil {
			return err
		}
		return s.userUpdated(ctx, r, userID, now)
	})
}

// seal makes the stored form of who's token set for the account accountID;
// nil when the provider granted no token (nothing to keep).
func (s *Service) seal(accountID string, who *oauth.Identity) (*user.OAuthToken, error) {
	if who.Token.AccessToken == "" {
		return nil, nil
	}
	return s.Tokens.Seal(accountID, who.Token, s.Clock.Now())
}

// keep stores who's token set for the account accountID, replacing the
// one before.
func (s *Service) keep(ctx context.Context, r Repo, accountID string, who *oauth.Identity) error {
	tok, err := s.seal(accountID, who)
	if tok == nil || err != nil {
		return err
	}
	return r.SaveOAuthToken(ctx, *tok)
}

// Disconnect removes a provider account of the user, unless it is the last
// way the user can sign in — for the person on /user and the operator
// through the Backend API alike. user.ErrNoUser when there is no such user.
func (s *Service) Disconnect(ctx context.Context, userID, externalID string) error {
	return s.InTx(ctx, func(r Repo) error {
		// The row lock first: a concurrent removal of another way in must
		// see this one's result before it judges (REQ-AC-06).
		if err := r.TouchUser(ctx, userID, s.Clock.Now()); errors.Is(err, apperr.ErrNotFound) {
			return user.ErrNoUser
		} else if err != nil {
			return err
		}
		u, err := r.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		rest := *u
		rest.ExternalAccounts = slices.DeleteFunc(slices.Clone(u.ExternalAccounts),
			func(x user.ExternalAccount) bool { return x.ID == externalID })
		if len(rest.ExternalAccounts) == len(u.ExternalAccounts) {
			return errNoExternal
		}
		if !rest.CanSignIn(s.WaysIn) {
			return ErrLastWay
		}
		if err := r.DeleteExternalAccount(ctx, userID, externalID); errors.Is(err, apperr.ErrNotFound) {
			return errNoExternal
		} else if err != nil {
			return err
		}
		return s.userUpdated(ctx, r, userID, s.Clock.Now())
	})
}

var errNoExternal = apperr.New(apperr.NotFound, "That connected account was not found.").T("error.social.not_found")

func (s *Service) userUpdated(ctx context.Context, r Repo, userID string, now time.Time) error {
	if err := r.TouchUser(ctx, userID, now); err != nil {
		return err
	}
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

func newExternal(userID string, who *oauth.Identity, now time.Time) user.ExternalAccount {
	return user.ExternalAccount{ID: id.New("eac"), UserID: userID, Provider: who.Provider, Subject: who.Subject,
		Email: who.Email, EmailVerified: who.EmailVerified, FirstName: who.FirstName, LastName: who.LastName,
		Username: who.Username, AvatarURL: who.AvatarURL, CreatedAt: now, UpdatedAt: now}
}

func refreshed(x user.ExternalAccount, who *oauth.Identity, now time.Time) user.ExternalAccount {
	x.Email, x.EmailVerified = who.Email, who.EmailVerified
	// Apple sends a name once, on the first sign-in: a sign-in with none
	// keeps the one stored.
	if who.FirstName != "" || who.LastName != "" {
		x.FirstName, x.LastName = who.FirstName, who.LastName
	}
	x.Username, x.AvatarURL, x.UpdatedAt = who.Username, who.AvatarURL, now
	return x
}

func external(who *oauth.Identity) flow.External {
	return flow.External{Provider: who.Provider, Subject: who.Subject, Email: who.Email, EmailVerified: who.EmailVerified,
		FirstName: who.FirstName, LastName: who.LastName, Username: who.Username, AvatarURL: who.AvatarURL}
}
