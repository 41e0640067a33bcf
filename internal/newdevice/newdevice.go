// Package newdevice tells an account's owner, by email, of a sign-in from a
// browser the account has not been used on lately (REQ-RL-07): Clerk's
// "sign-in from a new device" notice (its email slug new_device_sign_in).
//
// # What counts as the same browser
//
// A sign-in is from a known browser when an earlier session of the same
// user, in any status, active within Window (and still kept: housekeeping
// deletes sessions PORTAL_EVENT_RETENTION after they end), was made
//
//   - on the same client lineage: every sign-in moves the browser to a
//     new client that remembers the one it held before (clients.previous_id),
//     so following that chain back from the new session's client finds
//     the browser's earlier sessions, whoever signed out in between; or
//   - by the same kind of browser on the same kind of system (Firefox on
//     Windows, from the User-Agent, versions ignored) from the same network
//     (the same IPv4 /16 or IPv6 /48: roughly, the same provider and area).
//
// The chain is the browser itself, but only while it keeps its __client
// cookie, which lasts as long as a session may (PORTAL_SESSION_MAX_LIFETIME,
// 7 days by default) and goes with cleared cookies and private windows. The
// second rule covers the same browser after that, so a person who comes
// back every fortnight is not emailed each time. It asks for the network
// as well as the kind of browser because the kind alone is shared by a
// large share of everyone (Chrome on Windows): someone else's Chrome on
// Windows, signing in with a stolen password from another provider or
// country, is reported. A browser of a kind the portal does not know never
// matches by kind, since a script's or a stranger's made-up User-Agent
// would match any other.
//
// An account with no such earlier session at all is not told: there is
// nothing to compare the browser with. That is the first sign-in of an
// account made through the Backend API or an import, where every browser
// would be "new", and of one not used for longer than the sessions are
// kept. Sign-up's own session is never reported (sign-up does not call
// SignedIn), and it is the account's first known browser: signing in again
// on it is not new. Nor is the sign-in that ends a password reset (package
// signin leaves it out): the password-changed email tells of it.
//
// Impersonations (actor tokens) and the Backend API's sessions nobody
// signed in to are neither reported nor known browsers: they are not the
// person's own.
package newdevice

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Window is how far back an earlier session's last activity may lie for
// its browser to count as known.
const Window = 90 * 24 * time.Hour

// maxEarlier bounds the earlier sessions read, the most recent first, and
// maxChain the clients followed back along a browser's chain.
const maxEarlier, maxChain = 500, 200

// Repo is what the notice needs from the store.
type Repo interface {
	UserByID(ctx context.Context, id string) (*user.User, error)
	// SessionsOfUserSince lists the user's sessions in any status last
	// active at or after since, the most recently active first.
	SessionsOfUserSince(ctx context.Context, userID string, since time.Time, limit int) ([]session.Session, error)
	ClientByID(ctx context.Context, id string) (*session.Client, error)
}

// SignIn is what the email says of the sign-in.
type SignIn struct {
	At time.Time
	// Browser and OS name the kinds (session.Family): "Firefox",
	// "Windows"; "" when unknown.
	Browser, OS string
	IP          string
	// Method is the first factor's strategy ("password", "email_code",
	// "oauth_github", …) and Provider, for a provider's, its name as
	// people know it ("GitHub").
	Method, Provider string
	// HasPassword is whether the account has a password to change.
	HasPassword bool
}

// Notifier sends the email.
type Notifier interface {
	SendNewSignIn(ctx context.Context, to, locale string, s SignIn) error
}

// Service decides, after each sign-in, whether its browser is new to the
// account and, if it is, emails the owner.
type Service struct {
	Repo     Repo
	Notifier Notifier
	// Later runs the check and the email after the answer, with the
	// request's values but not its end: a sign-in never waits for them or
	// fails because of them. nil runs them at once (tests).
	Later func(ctx context.Context, fn func(context.Context) error)
	// Providers names a sign-in provider ("github") as people know it
	// ("GitHub"); nil, or "" from it, keeps the name as it is.
	Providers func(name string) string
	// Log records each notice sent; nil records nothing.
	Log *slog.Logger
}

// SignedIn is told of each sign-in that started sess, by the first factor
// method, once the session is stored. It returns at once; the rest runs
// after the answer.
func (s *Service) SignedIn(ctx context.Context, sess *session.Session, method string) {
	if s == nil || sess == nil || sess.Impersonated() || !sess.ProvedFirstFactor() {
		return
	}
	x := *sess
	run := func(ctx context.Context) error { return s.check(ctx, x, method) }
	if s.Later == nil {
		_ = run(ctx)
		return
	}
	s.Later(ctx, run)
}

// check emails the owner of sess's account when sess's browser is new to it.
func (s *Service) check(ctx context.Context, sess session.Session, method string) error {
	u, err := s.Repo.UserByID(ctx, sess.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	to := u.PrimaryEmail()
	if to == "" || !slices.Contains(u.VerifiedEmails(), to) {
		return nil // an address nobody proved is not told of the account
	}
	earlier, err := s.Repo.SessionsOfUserSince(ctx, sess.UserID, sess.CreatedAt.Add(-Window), maxEarlier)
	if err != nil {
		return err
	}
	// Only sessions begun before this one (or in the same millisecond)
	// count: this runs after the answer, and a second sign-in by the same
	// stranger meanwhile must not make the first one look known.
	earlier = slices.DeleteFunc(earlier, func(e session.Session) bool {
		return e.ID == sess.ID || e.Impersonated() || !e.ProvedFirstFactor() || e.CreatedAt.After(sess.CreatedAt)
	})
	if len(earlier) == 0 {
		return nil // nothing to compare with (see the package's comment)
	}
	known, err := s.known(ctx, sess, earlier)
	if err != nil || known {
		return err
	}
	n := SignIn{At: sess.CreatedAt, IP: sess.IP, Method: method, HasPassword: u.PasswordHash != ""}
	n.Browser, n.OS = session.Family(sess.UserAgent)
	if p, ok := provider(method); ok {
		n.Provider = p
		if s.Providers != nil {
			if name := s.Providers(p); name != "" {
				n.Provider = name
			}
		}
	}
	if err := s.Notifier.SendNewSignIn(ctx, to, u.Locale, n); err != nil {
		return err
	}
	if s.Log != nil {
		s.Log.LogAttrs(ctx, slog.LevelInfo, "new sign-in notice sent", slog.String("user_id", sess.UserID),
			slog.String("session_id", sess.ID))
	}
	return nil
}

// known reports whether sess comes from a browser one of earlier (the
// user's sessions before it) came from: the same kind from the same
// network, or the same client lineage.
func (s *Service) known(ctx context.Context, sess session.Session, earlier []session.Session) (bool, error) {
	clients := make(map[string]bool, len(earlier))
	this := kindOf(sess) // read once: earlier may hold hundreds
	for _, e := range earlier {
		if this.same(kindOf(e)) {
			return true, nil
		}
		clients[e.ClientID] = true
	}
	c, err := s.Repo.ClientByID(ctx, sess.ClientID)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	since := sess.CreatedAt.Add(-Window)
	for range maxChain {
		prev := c.PreviousID
		if prev == "" {
			return false, nil
		}
		if clients[prev] {
			return true, nil
		}
		if c, err = s.Repo.ClientByID(ctx, prev); errors.Is(err, apperr.ErrNotFound) {
			return false, nil // housekept: nothing before it is kept either
		} else if err != nil {
			return false, err
		}
		if c.CreatedAt.Before(since) {
			return false, nil
		}
	}
	return false, nil
}

// SameKind reports whether a and b were made by the same kind of browser
// on the same kind of system, both known (session.Family), from the same
// network (Network).
func SameKind(a, b session.Session) bool { return kindOf(a).same(kindOf(b)) }

// kind is what SameKind compares of a session.
type kind struct {
	browser, os string
	network     netip.Prefix
	known       bool // a browser and system of known kinds, from an address
}

func kindOf(s session.Session) kind {
	var k kind
	k.browser, k.os = session.Family(s.UserAgent)
	n, ok := Network(s.IP)
	k.network, k.known = n, ok && k.browser != "" && k.os != ""
	return k
}

func (k kind) same(o kind) bool { return k.known && o.known && k == o }

// Network is the network an IP address is counted in: its IPv4 /16 or
// IPv6 /48. A home connection's address changes within it from day to day,
// while another provider's or another country's is elsewhere.
func Network(ip string) (netip.Prefix, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	bits := 48
	if a.Is4() {
		bits = 16
	}
	p, err := a.WithZone("").Prefix(bits)
	return p, err == nil
}

// provider is the provider a method names ("oauth_github": "github").
func provider(method string) (string, bool) {
	const prefix = "oauth_"
	if len(method) > len(prefix) && method[:len(prefix)] == prefix {
		return method[len(prefix):], true
	}
	return "", false
}
