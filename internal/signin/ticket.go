package signin

import (
	"context"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signintoken"
)

// SignInWithTicket signs the browser clientID in as the user a sign-in
// token names, once the person confirmed it on the page the link opens
// (REQ-OTP-09). It records the sign-in as a flow of its own with the
// ticket as first factor, and starts the session through the same door as
// every other way in (session.Service.Start), so a ban, a lock or the
// blocklist refuse it and session.created is written.
//
// The token stands for the first factor only: an account with a second
// factor enrolled goes on to needs_second_factor and gets no session until
// it passes (REQ-IN-09). Clerk's own docs describe sign-in tokens as
// signing in "without any credentials"; Portal keeps the second step, so
// that a forwarded or leaked link alone does not open an account its
// owner protected with a second factor.
//
// The token is spent in the transaction that starts the session (or moves
// the flow to its second step): a refused sign-in leaves it unused, and of
// two uses at once one wins, the other is signintoken.ErrGone. A browser
// signed in as someone else is signed in as the token's user instead, as
// with every sign-in (one session per browser).
//
// An actor token starts an impersonation session instead
// (session.Service.StartImpersonation): no second factor is asked, since
// standing in for the user is what it is for, while a ban, a lock or the
// blocklist still refuse it, as Clerk's actor tokens are refused for a
// user who may not sign in. It is not the user's own sign-in, so the
// user's last sign-in is left as it was (Clerk leaves last_sign_in_at so
// too) and so is their count of failed attempts.
func (s *Service) SignInWithTicket(ctx context.Context, clientID, ticket, redirectURL string, meta flow.Meta) (*session.Session, *flow.Flow, error) {
	if s.Tickets == nil {
		return nil, nil, signintoken.ErrGone
	}
	_, u, err := s.Tickets.Peek(ctx, ticket)
	if err != nil {
		return nil, nil, err
	}
	if err := canSignIn(u, s.Clock.Now()); err != nil {
		return nil, nil, err
	}
	f := s.newFlowFor(clientID, u, redirectURL)
	var sess *session.Session
	err = s.InTx(ctx, func(r Repo) error {
		t, err := s.Tickets.UseIn(ctx, r, ticket)
		if err != nil {
			return err
		}
		if t.UserID != u.ID { // the token read twice names one user; never otherwise
			return signintoken.ErrGone
		}
		now := s.Clock.Now()
		f.UpdatedAt, f.Data.FirstFactor, f.Data.FirstFactorAt = now, flow.Ticket, &now
		if t.Impersonates() {
			imp := session.Impersonation{Actor: t.Actor, MaxLifetime: t.SessionMax}
			if sess, err = s.Sessions.StartImpersonation(ctx, r, clientID, u.ID, meta.IP, meta.UserAgent, imp); err != nil {
				return err
			}
			f.Status, f.SessionID = flow.Complete, sess.ID
			return r.CreateFlow(ctx, f)
		}
		if s.NeedsSecondFactor(u) {
			f.Status = flow.NeedsSecondFactor
			return r.CreateFlow(ctx, f)
		}
		if u.PasswordCompromised() { // a new password first, as after any factor
			awaitNewPassword(f, flow.Ticket, now, nil, now)
			return r.CreateFlow(ctx, f)
		}
		if err := r.RecordSignIn(ctx, u.ID, now); err != nil {
			return err
		}
		if sess, err = s.Sessions.Start(ctx, r, session.Proof{ClientID: clientID, UserID: u.ID, IP: meta.IP,
			UserAgent: meta.UserAgent, Strategy: flow.Ticket, FirstFactorAt: now}); err != nil {
			return err
		}
		f.Status, f.SessionID = flow.Complete, sess.ID
		return r.CreateFlow(ctx, f)
	})
	if err != nil {
		return nil, nil, err
	}
	if sess != nil && !sess.Impersonated() {
		s.signedIn(ctx, sess, flow.Ticket)
	}
	return sess, f, nil
}
