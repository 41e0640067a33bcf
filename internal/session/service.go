package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/token"
	"github.com/portalhq/portal/internal/user"
)

// Repo is what sessions need from the store.
type Repo interface {
	CreateClient(ctx context.Context, c Client) error
	ClientByID(ctx context.Context, id string) (*Client, error)
	// SuccessorClient returns the newest client whose PreviousID is id:
	// where a sign-in or a reverification moved that browser; ErrNotFound
	// for none.
	SuccessorClient(ctx context.Context, id string) (*Client, error)
	// MoveSession moves the active session id from client from to client
	// to; false when it is no longer on from.
	MoveSession(ctx context.Context, id, from, to string, at time.Time) (bool, error)
	CreateSession(ctx context.Context, s Session) error
	SessionByID(ctx context.Context, id string) (*Session, error)
	ActiveSessionsOfClient(ctx context.Context, clientID string) ([]Session, error)
	ActiveSessionsOfUser(ctx context.Context, userID string) ([]Session, error)
	EndSession(ctx context.Context, id, status string, at time.Time) (bool, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	// LockUser holds the user's row until the transaction ends (ErrNotFound
	// when there is none): a sign-in takes it before it touches sessions,
	// as a ban does, so the two never wait on each other in a circle.
	LockUser(ctx context.Context, id string) error
	// MarkUserActive moves the user's last_active_at to at, never back.
	MarkUserActive(ctx context.Context, userID string, at time.Time) error
	// MarkReverified records a reverification at at, moving the first
	// and/or second factor time with it.
	MarkReverified(ctx context.Context, id string, at time.Time, first, second bool) error
	// UserByID loads the whole user, for the blocklist check when one is
	// in force.
	UserByID(ctx context.Context, id string) (*user.User, error)
	// UserStanding reads only whether the user is banned or locked;
	// ErrNotFound when the user is gone.
	UserStanding(ctx context.Context, id string) (user.Standing, error)
	InsertEvent(ctx context.Context, e events.Event) error
	// StoredBlocklistHolds judges the user against the blocklist entries
	// added through the Backend API.
	restrict.UserSource
}

// Policy holds the session rules an instance configures.
type Policy struct {
	TokenTTL    time.Duration // lifetime of a session token (60 s)
	MaxLifetime time.Duration // absolute session lifetime (7 days)
	Inactivity  time.Duration // 0 = no inactivity timeout
}

// touchEvery bounds how often activity is written: a token refresh every
// minute must not turn into a write every minute per session.
const touchEvery = time.Minute

// Service keeps clients and sessions and mints session tokens.
type Service struct {
	Clock  clockwork.Clock
	Signer *token.Signer
	Issuer string
	Policy Policy
	Repo   Repo
	InTx   func(ctx context.Context, fn func(Repo) error) error
	// Orgs fills the organization claims; nil leaves them out.
	Orgs OrgResolver
	// Restrict's blocklist shuts out accounts holding a listed identifier,
	// whichever way in they use (nil: none).
	Restrict *restrict.Rules
	// CustomClaims renders the instance's custom session token claims for
	// sess (PORTAL_SESSION_TOKEN_CLAIMS, through jwttemplate); nil: none.
	CustomClaims func(ctx context.Context, sess *Session) (json.RawMessage, error)
}

// admitted refuses, like a ban, an account that holds an identifier on the
// blocklist. The sign-in identifier step refuses a typed one already; this
// catches the rest: a passkey, a provider, or another identifier of the
// account. It reads the whole user only when the configured blocklist has
// entries; the stored one is judged by one query in r, which may be the
// transaction that is creating the account.
func (s *Service) admitted(ctx context.Context, r Repo, userID string) error {
	blocked, err := s.Restrict.UserBlocked(ctx, r, userID, func() ([]restrict.Identifier, error) {
		u, err := r.UserByID(ctx, userID)
		if err != nil {
			return nil, err
		}
		ids := make([]restrict.Identifier, 0, len(u.Identifiers))
		for _, i := range u.Identifiers {
			ids = append(ids, restrict.Identifier{Kind: i.Kind, Value: i.Value})
		}
		return ids, nil
	})
	if err != nil {
		return err
	}
	if blocked {
		return ErrCannotSignIn
	}
	return nil
}

// NewClient creates the record of a browser.
func (s *Service) NewClient(ctx context.Context) (*Client, error) {
	now := s.Clock.Now()
	c := Client{ID: id.New(id.Client), CreatedAt: now, UpdatedAt: now}
	if err := s.Repo.CreateClient(ctx, c); err != nil {
		return nil, err
	}
	return &c, nil
}

// ClaimClient returns the client clientID, creating its record when there
// is none yet. The ID is one the portal minted and handed to the browser
// in its signed __client cookie before any record existed (the sign-in
// and sign-up pages do that, so that a page view writes nothing); it
// never comes from anything the browser could choose. Two first requests
// racing both end on the one record: the loser of the insert reads the
// winner's.
func (s *Service) ClaimClient(ctx context.Context, clientID string) (*Client, error) {
	if !strings.HasPrefix(clientID, id.Client+"_") {
		return nil, fmt.Errorf("session: %q is not a client ID", clientID)
	}
	c, err := s.Repo.ClientByID(ctx, clientID)
	if err == nil || !errors.Is(err, apperr.ErrNotFound) {
		return c, err
	}
	now := s.Clock.Now()
	nc := Client{ID: clientID, CreatedAt: now, UpdatedAt: now}
	err = s.Repo.CreateClient(ctx, nc)
	if errors.Is(err, apperr.ErrConflict) {
		return s.Repo.ClientByID(ctx, clientID)
	}
	if err != nil {
		return nil, err
	}
	return &nc, nil
}

// Proof is what a sign-in proved, and from where: what Start needs.
type Proof struct {
	// ClientID is the browser's client before it signed in; "" for none.
	ClientID  string
	UserID    string
	IP        string
	UserAgent string
	// Strategy is the first factor's, by Clerk's name ("password",
	// "oauth_github", "ticket", …): the new client's LastStrategy.
	Strategy      string
	FirstFactorAt time.Time
	// SecondFactorAt is when the sign-in verified a second factor too, which
	// the token's fva claim reports; nil for none.
	SecondFactorAt *time.Time
}

// Start creates a new session for p.UserID, inside the caller's
// transaction r, on a new client that succeeds p.ClientID: the browser
// signing in gets a new session and a new client (REQ-SES-02), whose ID the
// returned session's ClientID holds and the caller hands to that browser.
// Any session p.ClientID had is ended first.
//
// It is the one door every way of signing in goes through, so it is where a
// banned or admin-locked account is refused, whatever factor was used.
func (s *Service) Start(ctx context.Context, r Repo, p Proof) (*Session, error) {
	now := s.Clock.Now()
	return s.start(ctx, r, Session{ClientID: p.ClientID, UserID: p.UserID, FirstFactorAt: p.FirstFactorAt,
		SecondFactorAt: p.SecondFactorAt, ReverifiedAt: lastFactor(p.FirstFactorAt, p.SecondFactorAt), IP: p.IP,
		UserAgent: p.UserAgent, ExpireAt: now.Add(s.Policy.MaxLifetime)}, p.Strategy)
}

// Impersonation is what an actor token gives the session it starts.
type Impersonation struct {
	Actor json.RawMessage // the actor object, with its sub
	// MaxLifetime caps the session's lifetime (the token's
	// session_max_duration_in_seconds); the instance's own cap still holds.
	MaxLifetime time.Duration
}

// StartImpersonation is Start for an actor token: a session of userID in
// which imp.Actor acts for them. Its lifetime is imp.MaxLifetime at most
// and it ends after ImpersonationInactivity without activity.
//
// The session does not count as the person having proved who they are:
// reverified_at stays empty, /user/verify refuses it, and so changing the
// account's password, email, phone, second factors or connected accounts
// or deleting it is left to the person; its tokens' fva is [-1, -1], so
// an app asking for a recent factor does not get one either. Its tokens
// end by the session's end, whatever lifetime is asked. Bans, locks and
// the blocklist refuse it as they refuse every sign-in.
func (s *Service) StartImpersonation(ctx context.Context, r Repo, clientID, userID, ip, ua string, imp Impersonation) (*Session, error) {
	if len(imp.Actor) == 0 {
		return nil, errors.New("session: an impersonation needs its actor")
	}
	now := s.Clock.Now()
	life := s.Policy.MaxLifetime
	if imp.MaxLifetime > 0 && (life <= 0 || imp.MaxLifetime < life) {
		life = imp.MaxLifetime
	}
	return s.start(ctx, r, Session{ClientID: clientID, UserID: userID, FirstFactorAt: now, IP: ip, UserAgent: ua,
		ExpireAt: now.Add(life), Actor: imp.Actor}, "")
}

// ErrUserNotFound answers StartUnproved for a user that does not exist.
var ErrUserNotFound = apperr.New(apperr.NotFound, "No user with that ID exists.")

// StartUnproved starts a session of userID that nobody signed in to: the
// Backend API's POST /v1/sessions, which only a development instance
// answers, so that a relying app's end-to-end tests get a signed-in user
// without driving a browser. It goes through the one door every sign-in
// uses (start), in a transaction of its own that writes session.created
// with it: bans, locks and the blocklist refuse it (ErrCannotSignIn), and
// lifetime, inactivity, revocation and last_active_at are those of any
// session. Its client is a new one that no browser holds, so no browser
// is signed in by it (REQ-SES-07).
//
// It proved no factor of the user's: FirstFactorAt stays zero, so its
// tokens' fva is [-1, -1] (an app asking for a recent factor does not get
// one), and reverified_at stays empty, so the portal's sensitive changes
// still ask for full re-authentication (REQ-SES-06). It is not an
// impersonation: it has no actor, and its tokens no act claim.
func (s *Service) StartUnproved(ctx context.Context, userID, ip, ua string) (*Session, error) {
	var sess *Session
	err := s.InTx(ctx, func(r Repo) error {
		var err error
		sess, err = s.start(ctx, r, Session{UserID: userID, IP: ip, UserAgent: ua,
			ExpireAt: s.Clock.Now().Add(s.Policy.MaxLifetime)}, "")
		if errors.Is(err, apperr.ErrNotFound) {
			return ErrUserNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// start creates sess (its factor times, expiry and actor set by the
// caller) as the client's one active session, on a new client whose last
// strategy is strategy.
func (s *Service) start(ctx context.Context, r Repo, sess Session, strategy string) (*Session, error) {
	now := s.Clock.Now()
	// Read in the transaction, so a ban or lock that lands meanwhile wins.
	// The user's row first, then its standing: a ban that lands meanwhile
	// is waited for and read, and the lock order is the ban's (user, then
	// sessions), whatever the caller did before.
	if err := r.LockUser(ctx, sess.UserID); err != nil {
		return nil, err
	}
	st, err := r.UserStanding(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if !st.Allowed() {
		return nil, ErrCannotSignIn
	}
	if err := s.admitted(ctx, r, sess.UserID); err != nil {
		return nil, err
	}
	if sess.ClientID != "" {
		if err := s.endAll(ctx, r, sess.ClientID, Ended, now); err != nil {
			return nil, err
		}
	}
	// The session lives on a client of its own, new with this sign-in:
	// whoever held the browser's client before (a __client value planted
	// in the browser from elsewhere, say) does not share it (REQ-SES-02).
	// The caller gives the browser the new client's cookie.
	nc := Client{ID: id.New(id.Client), CreatedAt: now, UpdatedAt: now, Handoff: handoffHash(handoffFrom(ctx)),
		PreviousID: sess.ClientID, LastStrategy: strategy}
	if err := r.CreateClient(ctx, nc); err != nil {
		return nil, err
	}
	sess.ClientID = nc.ID
	sess.ID, sess.Status, sess.UserAgent = id.New(id.Session), Active, truncate(sess.UserAgent, 512)
	sess.CreatedAt, sess.UpdatedAt, sess.LastActiveAt = now, now, now
	if err := r.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	// Signing in is activity: the user's last_active_at (an
	// impersonation's is not).
	if !sess.Impersonated() {
		if err := r.MarkUserActive(ctx, sess.UserID, now); err != nil {
			return nil, err
		}
	}
	if err := emit(ctx, r, events.SessionCreated, &sess, now); err != nil {
		return nil, err
	}
	return &sess, nil
}

// HandoffWindow is how long after a sign-in the same final form, sent
// again by the same browser with the old client (a double click), is led
// to the new client.
const HandoffWindow = 10 * time.Second

type handoffKey struct{}

// WithHandoff returns ctx carrying secret, a value only the browser making
// the request holds (its CSRF secret): a session started under ctx
// remembers its hash, so that Successor can recognise the same browser.
func WithHandoff(ctx context.Context, secret string) context.Context {
	return context.WithValue(ctx, handoffKey{}, secret)
}

func handoffFrom(ctx context.Context) string {
	v, _ := ctx.Value(handoffKey{}).(string)
	return v
}

// BrowserMark is the hash of the secret ctx carries (WithHandoff), or ""
// when it carries none: a flow keeps it, so that only the browser that
// began the flow finishes it where no form is sent (an email link opened
// on another device, SameBrowser).
func BrowserMark(ctx context.Context) string { return handoffHash(handoffFrom(ctx)) }

// SecretFrom is the browser secret ctx carries (WithHandoff), or "".
func SecretFrom(ctx context.Context) string { return handoffFrom(ctx) }

// SameBrowser reports whether secret is the one mark was made from; an
// empty mark or secret is nobody's.
func SameBrowser(mark, secret string) bool {
	h := handoffHash(secret)
	return mark != "" && h != "" && subtle.ConstantTimeCompare([]byte(mark), []byte(h)) == 1
}

func handoffHash(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("portal client handoff\x00" + secret))
	return hex.EncodeToString(sum[:])
}

// Successor returns the session sessionID when a browser still holding
// oldClientID may be led to it: the session is live, began on a new client
// less than HandoffWindow ago, and that sign-in was made by a request that
// held secret, which only the same browser has. The caller checks that
// the session is the one the browser's own flow (of oldClientID) ended in.
// Anything else returns nil.
func (s *Service) Successor(ctx context.Context, oldClientID, sessionID, secret string) (*Session, error) {
	if oldClientID == "" || sessionID == "" || secret == "" {
		return nil, nil
	}
	sess, err := s.Repo.SessionByID(ctx, sessionID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if sess.ClientID == oldClientID || !sess.Live(now, s.Policy.Inactivity) || now.Sub(sess.CreatedAt) > HandoffWindow {
		return nil, nil
	}
	c, err := s.Repo.ClientByID(ctx, sess.ClientID)
	if err != nil {
		return nil, err
	}
	if !SameBrowser(c.Handoff, secret) {
		return nil, nil
	}
	return sess, nil
}

// Current returns the client's live session, or nil when the client is
// signed out. A session past its lifetime is marked expired on the way; a
// live one counts the request as activity (REQ-SES-03), written at most
// once a minute.
func (s *Service) Current(ctx context.Context, clientID string) (*Session, error) {
	if clientID == "" {
		return nil, nil
	}
	list, err := s.Repo.ActiveSessionsOfClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if len(list) == 0 {
		if list, err = s.successorSessions(ctx, clientID, now); err != nil || len(list) == 0 {
			return nil, err
		}
	}
	sess := &list[0]
	if sess.Live(now, s.Policy.Inactivity) {
		if err := s.touch(ctx, sess, now); err != nil {
			return nil, err
		}
		return sess, nil
	}
	err = s.InTx(ctx, func(r Repo) error {
		ok, err := r.EndSession(ctx, sess.ID, Expired, now)
		if err != nil || !ok {
			return err
		}
		sess.Status, sess.EndedAt, sess.UpdatedAt = Expired, &now, now
		return emit(ctx, r, events.SessionEnded, sess, now)
	})
	return nil, err
}

// successorSessions lists the active sessions of the client that
// succeeded clientID, when that browser may follow it there: the same
// browser (the secret ctx carries, as Successor checks) moved less than
// HandoffWindow ago, by a sign-in or a reverification. That is the same
// form sent twice, or a response whose new __client cookie the browser
// dropped; anyone else holding the old client stays signed out.
func (s *Service) successorSessions(ctx context.Context, clientID string, now time.Time) ([]Session, error) {
	secret := handoffFrom(ctx)
	if secret == "" {
		return nil, nil
	}
	c, err := s.Repo.SuccessorClient(ctx, clientID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(c.CreatedAt) > HandoffWindow || !SameBrowser(c.Handoff, secret) {
		return nil, nil
	}
	return s.Repo.ActiveSessionsOfClient(ctx, c.ID)
}

// LastStrategy is how the client's sign-in proved who the person was
// (Client.LastStrategy), "" for a client no sign-in made or one not stored.
// It is for marking that way on the sign-in page: a failure to read is
// answered "" rather than failing the page.
func (s *Service) LastStrategy(ctx context.Context, clientID string) string {
	if clientID == "" {
		return ""
	}
	c, err := s.Repo.ClientByID(ctx, clientID)
	if err != nil {
		return ""
	}
	return c.LastStrategy
}

// SignOut ends every active session of the client (status "ended").
func (s *Service) SignOut(ctx context.Context, clientID string) error {
	if clientID == "" {
		return nil
	}
	return s.InTx(ctx, func(r Repo) error { return s.endAll(ctx, r, clientID, Ended, s.Clock.Now()) })
}

// RevokeUser ends every active session of a user (status "revoked"), inside
// the caller's transaction: after a password reset, a ban, a deletion.
func (s *Service) RevokeUser(ctx context.Context, r Repo, userID string, now time.Time) error {
	list, err := r.ActiveSessionsOfUser(ctx, userID)
	if err != nil {
		return err
	}
	return s.end(ctx, r, list, Revoked, now)
}

// ErrNoSuchSession answers a revocation of a session that is not the
// user's, does not exist or has ended: the same for all three, so that an
// ID reveals nothing about other people's sessions (REQ-AC-02).
var ErrNoSuchSession = apperr.New(apperr.NotFound, "That device was not found. It may be signed out already.").T("error.session.no_device")

// Revoke ends one active session of userID (status "revoked"). The device
// finds itself signed out at its next token refresh.
func (s *Service) Revoke(ctx context.Context, userID, sessionID string) error {
	return s.InTx(ctx, func(r Repo) error {
		sess, err := r.SessionByID(ctx, sessionID)
		if errors.Is(err, apperr.ErrNotFound) || err == nil && (sess.UserID != userID || sess.Status != Active) {
			return ErrNoSuchSession
		}
		if err != nil {
			return err
		}
		return s.end(ctx, r, []Session{*sess}, Revoked, s.Clock.Now())
	})
}

// RevokeOthers ends every active session of userID but keep, inside the
// caller's transaction r, and returns how many it ended.
func (s *Service) RevokeOthers(ctx context.Context, r Repo, userID, keep string, now time.Time) (int, error) {
	list, err := r.ActiveSessionsOfUser(ctx, userID)
	if err != nil {
		return 0, err
	}
	others := slices.DeleteFunc(list, func(x Session) bool { return x.ID == keep })
	return len(others), s.end(ctx, r, others, Revoked, now)
}

// Live lists the user's sessions that can still mint tokens, newest first.
func (s *Service) Live(ctx context.Context, userID string) ([]Session, error) {
	list, err := s.Repo.ActiveSessionsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	return slices.DeleteFunc(list, func(x Session) bool { return !x.Live(now, s.Policy.Inactivity) }), nil
}

// ExpireStale marks expired, with session.ended, the active sessions of
// the user (else of the client) that are past their lifetime or idle
// timeout, as their browser's next request would: so that the Backend API
// shows them as they are and its status filter counts them so.
func (s *Service) ExpireStale(ctx context.Context, userID, clientID string) error {
	var (
		list []Session
		err  error
	)
	if userID != "" {
		list, err = s.Repo.ActiveSessionsOfUser(ctx, userID)
	} else {
		list, err = s.Repo.ActiveSessionsOfClient(ctx, clientID)
	}
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	stale := slices.DeleteFunc(list, func(x Session) bool { return x.Live(now, s.Policy.Inactivity) })
	if len(stale) == 0 {
		return nil
	}
	return s.InTx(ctx, func(r Repo) error { return s.end(ctx, r, stale, Expired, now) })
}

func (s *Service) endAll(ctx context.Context, r Repo, clientID, status string, now time.Time) error {
	list, err := r.ActiveSessionsOfClient(ctx, clientID)
	if err != nil {
		return err
	}
	return s.end(ctx, r, list, status, now)
}

func (s *Service) end(ctx context.Context, r Repo, list []Session, status string, now time.Time) error {
	for i := range list {
		ok, err := r.EndSession(ctx, list[i].ID, status, now)
		if err != nil {
			return err
		}
		if !ok {
			continue // ended concurrently; its event was written then
		}
		list[i].Status, list[i].EndedAt, list[i].UpdatedAt = status, &now, now
		typ := events.SessionEnded
		if status == Revoked {
			typ = events.SessionRevoked
		}
		if err := emit(ctx, r, typ, &list[i], now); err != nil {
			return err
		}
	}
	return nil
}

// Reverified records that the person proved who they are on sess just now
// (REQ-SES-06): reverified_at, which sensitive changes check, and the
// factor times the token's fva claim reports — first and/or second,
// depending on the factor verified. This is the one place both move.
//
// Proving it again is authenticating again, so the session moves to a new
// client, as a sign-in's does (REQ-SES-02): sess.ClientID is then the one
// the caller hands the browser, and whoever held the old __client value
// (copied from the browser, say) is left with nothing, after the moment
// in which the same browser's second request may still follow
// (successorSessions). A request that finds its session already moved by
// another of the same browser's, with the factor this one verified too,
// follows it to that client rather than moving it again.
func (s *Service) Reverified(ctx context.Context, sess *Session, first, second bool) error {
	now := s.Clock.Now()
	to := ""
	err := s.InTx(ctx, func(r Repo) error {
		old, err := r.ClientByID(ctx, sess.ClientID)
		if err != nil {
			return err
		}
		if now.Sub(old.CreatedAt) <= HandoffWindow && SameBrowser(old.Handoff, handoffFrom(ctx)) {
			// Moved for this very browser a moment ago (the same form
			// sent twice): once is enough, and a second move would leave
			// the first answer's cookie pointing at nothing.
			to = old.ID
			return r.MarkReverified(ctx, sess.ID, now, first, second)
		}
		nc := Client{ID: id.New(id.Client), CreatedAt: now, UpdatedAt: now, Handoff: handoffHash(handoffFrom(ctx)),
			PreviousID: old.ID, LastStrategy: old.LastStrategy}
		if err := r.CreateClient(ctx, nc); err != nil {
			return err
		}
		moved, err := r.MoveSession(ctx, sess.ID, old.ID, nc.ID, now)
		if err != nil {
			return err
		}
		if !moved {
			return errMovedAlready
		}
		to = nc.ID
		return r.MarkReverified(ctx, sess.ID, now, first, second)
	})
	if errors.Is(err, errMovedAlready) {
		cur, err := s.Repo.SessionByID(ctx, sess.ID)
		if err != nil {
			return err
		}
		if err := s.Repo.MarkReverified(ctx, sess.ID, now, first, second); err != nil {
			return err
		}
		to = cur.ClientID
	} else if err != nil {
		return err
	}
	sess.ClientID, sess.UpdatedAt = to, now
	sess.ReverifiedAt, sess.LastActiveAt = &now, now
	if first {
		sess.FirstFactorAt = now
	}
	if second {
		sess.SecondFactorAt = &now
	}
	return nil
}

// errMovedAlready rolls back a reverification whose session another
// request moved to a new client first.
var errMovedAlready = errors.New("session: moved to another client already")

// lastFactor is when a sign-in last proved who the person is: the later of
// its factor times.
func lastFactor(first time.Time, second *time.Time) *time.Time {
	if second != nil && second.After(first) {
		return second
	}
	return &first
}

// ErrSignedOut means the session can no longer mint tokens.
var ErrSignedOut = apperr.New(apperr.Unauthorized, "You are signed out.").T("error.session.signed_out")

// ErrCannotSignIn refuses a banned or locked account.
var ErrCannotSignIn = apperr.New(apperr.Forbidden, "This account can't sign in. Contact the site's support.").T("error.session.cannot_sign_in")

// ErrNotFound answers for a session ID that does not exist.
var ErrNotFound = apperr.New(apperr.NotFound, "No session with that ID exists.")

// Get returns a session in any status.
func (s *Service) Get(ctx context.Context, id string) (*Session, error) {
	sess, err := s.Repo.SessionByID(ctx, id)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrNotFound
	}
	return sess, err
}

// LiveSession returns the session when it may still mint tokens, else
// ErrSignedOut; a session past its lifetime is marked expired on the way.
func (s *Service) LiveSession(ctx context.Context, id string) (*Session, error) {
	sess, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if sess.Live(now, s.Policy.Inactivity) {
		return sess, nil
	}
	if sess.Status == Active {
		err = s.InTx(ctx, func(r Repo) error {
			ok, err := r.EndSession(ctx, sess.ID, Expired, now)
			if err != nil || !ok {
				return err
			}
			sess.Status, sess.EndedAt, sess.UpdatedAt = Expired, &now, now
			return emit(ctx, r, events.SessionEnded, sess, now)
		})
		if err != nil {
			return nil, err
		}
	}
	return nil, ErrSignedOut
}

// RevokeSession ends one session (status "revoked") as the instance's
// admin does, whoever's it is. Its tokens stop at their next refresh. A
// session that has already ended is returned as it is.
func (s *Service) RevokeSession(ctx context.Context, id string) (*Session, error) {
	err := s.InTx(ctx, func(r Repo) error {
		sess, err := r.SessionByID(ctx, id)
		if errors.Is(err, apperr.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if sess.Status != Active {
			return nil
		}
		return s.end(ctx, r, []Session{*sess}, Revoked, s.Clock.Now())
	})
	if err != nil {
		return nil, err
	}
	return s.Repo.SessionByID(ctx, id)
}

// Admit decides whether a token of sess may be minted now, for any kind
// of token (the session token, a JWT template's): ErrSignedOut when the
// user was banned or deleted meanwhile, or holds an identifier blocked
// since the session began. A refused session is ended then and there
// (status "revoked", session.revoked), so that the portal's own pages,
// which find the client's session without asking this, sign the browser
// out too instead of handing it back to sign-in again and again. It
// returns ttl, cut for an impersonation so that its tokens end by the
// session's end (the Backend API's expires_in_seconds included).
func (s *Service) Admit(ctx context.Context, sess *Session, ttl time.Duration) (time.Duration, error) {
	// One narrow query, not the whole user: this runs on every refresh.
	st, err := s.Repo.UserStanding(ctx, sess.UserID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && st.Banned) {
		return 0, s.refuse(ctx, sess)
	}
	if err != nil {
		return 0, err
	}
	if err := s.admitted(ctx, s.Repo, sess.UserID); errors.Is(err, ErrCannotSignIn) {
		return 0, s.refuse(ctx, sess)
	} else if err != nil {
		return 0, err
	}
	if sess.Impersonated() {
		if left := sess.ExpireAt.Sub(s.Clock.Now()); left < ttl {
			ttl = max(time.Second, left)
		}
	}
	return ttl, nil
}

// refuse ends sess, which may mint no token any more, and answers
// ErrSignedOut.
func (s *Service) refuse(ctx context.Context, sess *Session) error {
	if sess.Status != Active {
		return ErrSignedOut
	}
	err := s.InTx(ctx, func(r Repo) error {
		return s.end(ctx, r, []Session{*sess}, Revoked, s.Clock.Now())
	})
	if err != nil {
		return err
	}
	return ErrSignedOut
}

// Token mints a session token for sess, for the app at origin azp. It
// refuses when the user was banned or deleted meanwhile.
func (s *Service) Token(ctx context.Context, sess *Session, azp string) (string, time.Time, error) {
	return s.TokenFor(ctx, sess, azp, s.Policy.TokenTTL)
}

// TokenFor is Token with its own lifetime, for the Backend API's
// expires_in_seconds.
func (s *Service) TokenFor(ctx context.Context, sess *Session, azp string, ttl time.Duration) (string, time.Time, error) {
	now := s.Clock.Now()
	ttl, err := s.Admit(ctx, sess, ttl)
	if err != nil {
		return "", time.Time{}, err
	}
	p := token.SessionParams{Issuer: s.Issuer, UserID: sess.UserID, SessionID: sess.ID, AuthorizedParty: azp,
		Now: now, TTL: ttl, FirstFactorAt: sess.FirstFactorAt, NoFirstFactor: !sess.ProvedFirstFactor(), Actor: sess.Actor}
	if s.CustomClaims != nil {
		if p.Custom, err = s.CustomClaims(ctx, sess); err != nil {
			return "", time.Time{}, err
		}
	}
	if sess.SecondFactorAt != nil {
		p.SecondFactorAt = *sess.SecondFactorAt
	}
	if sess.ActiveOrgID != "" && s.Orgs != nil {
		oc, err := s.Orgs.OrgClaims(ctx, sess.UserID, sess.ActiveOrgID)
		if err != nil {
			return "", time.Time{}, err
		}
		if oc != nil {
			p.OrgID, p.OrgSlug, p.OrgRole, p.OrgPermissions = oc.ID, oc.Slug, oc.Role, oc.Permissions
		}
	}
	claims, err := token.NewSessionClaims(p)
	if err != nil {
		return "", time.Time{}, err
	}
	payload, err := claims.JSON()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("session: encode token: %w", err)
	}
	tok, err := s.Signer.SignPayload(payload)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("session: sign token: %w", err)
	}
	if err := s.touch(ctx, sess, now); err != nil {
		return "", time.Time{}, err
	}
	return tok, claims.ExpiresAt(), nil
}

// touch records activity on sess at now, when the last record is at least
// touchEvery old: an idle timeout counts from the last activity.
func (s *Service) touch(ctx context.Context, sess *Session, now time.Time) error {
	if now.Sub(sess.LastActiveAt) < touchEvery {
		return nil
	}
	if err := s.Repo.TouchSession(ctx, sess.ID, now); err != nil {
		return err
	}
	sess.LastActiveAt = now
	return nil
}

func emit(ctx context.Context, r Repo, typ string, sess *Session, now time.Time) error {
	e, err := events.New(typ, sess.ID, sess.ToObject(), now)
	if err != nil {
		return err
	}
	return r.InsertEvent(ctx, e)
}

// truncate keeps at most n bytes of valid UTF-8: browsers may send any
// bytes in a User-Agent, and PostgreSQL refuses invalid UTF-8 in text.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
