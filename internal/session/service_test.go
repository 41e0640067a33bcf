package session_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/token"
	"github.com/portalhq/portal/internal/user"
)

const (
	lifetime = 7 * 24 * time.Hour
	idle     = 30 * time.Minute
)

// env is the session service on a real store and a fake clock, with an
// inactivity timeout.
type env struct {
	t     *testing.T
	st    *store.Store
	clock *clockwork.FakeClock
	svc   *session.Service
}

func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) {
		st, clock := domaintest.Open(t, url)
		signer, err := token.NewSigner(t.Context(), st.Q, clock, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		svc := &session.Service{Clock: clock, Signer: signer, Issuer: "https://accounts.example.com", Repo: st.Q,
			InTx: store.Tx[session.Repo](st), Policy: session.Policy{TokenTTL: time.Minute, MaxLifetime: lifetime, Inactivity: idle}}
		test(t, &env{t: t, st: st, clock: clock, svc: svc})
	})
}

// signIn stores a user and a client and starts a session for them.
func (e *env) signIn() (*session.Client, *session.Session) {
	e.t.Helper()
	ctx := e.t.Context()
	now := e.clock.Now()
	u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now}
	if err := e.st.Q.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	c, err := e.svc.NewClient(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	sess := e.start(c.ID, u.ID)
	// The session lives on the client the sign-in made (REQ-SES-02).
	nc, err := e.st.Q.ClientByID(ctx, sess.ClientID)
	if err != nil {
		e.t.Fatal(err)
	}
	return nc, sess
}

func (e *env) start(clientID, userID string) *session.Session {
	e.t.Helper()
	var sess *session.Session
	err := e.svc.InTx(e.t.Context(), func(r session.Repo) error {
		var err error
		sess, err = e.svc.Start(e.t.Context(), r, session.Proof{ClientID: clientID, UserID: userID,
			IP: "203.0.113.9", UserAgent: "Firefox", Strategy: "password", FirstFactorAt: e.clock.Now()})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return sess
}

// current is the client's live session, nil when signed out.
func (e *env) current(clientID string) *session.Session {
	e.t.Helper()
	sess, err := e.svc.Current(e.t.Context(), clientID)
	if err != nil {
		e.t.Fatal(err)
	}
	return sess
}

func (e *env) status(sessionID string) string {
	e.t.Helper()
	s, err := e.st.Q.SessionByID(e.t.Context(), sessionID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.Status
}

var idRE = regexp.MustCompile(`^(sess|client)_[0-9A-Za-z]{27}$`)

// REQ-SES-01: the references a browser holds (its client, its session) are
// random IDs of 160 bits from crypto/rand, and whether they still count is
// decided by the server on every use: a session ended server-side is
// signed out, whatever the browser still holds. REQ-SES-02: each sign-in on a
// client is a new session, and ends the one before.
func TestSessionsAreServerSideReferences_REQ_SES_01_REQ_SES_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		c, first := e.signIn()
		if !idRE.MatchString(c.ID) || !idRE.MatchString(first.ID) {
			t.Errorf("client %q, session %q: want prefix_ and 27 base62 characters (160 bits)", c.ID, first.ID)
		}
		second := e.start(c.ID, first.UserID)
		if second.ID == first.ID || e.status(first.ID) != session.Ended {
			t.Errorf("second sign-in on the client: session %s (first %s, now %s); want a new one, the first ended",
				second.ID, first.ID, e.status(first.ID))
		}
		// The new session is on a new client: whoever holds the old
		// client's cookie is signed out (fixation).
		if second.ClientID == c.ID || e.current(c.ID) != nil {
			t.Errorf("second sign-in: client %s (old %s, current there %+v); want a new client, the old signed out",
				second.ClientID, c.ID, e.current(c.ID))
		}
		c = &session.Client{ID: second.ClientID}
		if got := e.current(c.ID); got == nil || got.ID != second.ID {
			t.Errorf("current = %+v, want the second session", got)
		}
		if _, err := e.svc.LiveSession(t.Context(), first.ID); !errors.Is(err, session.ErrSignedOut) {
			t.Errorf("the ended session: %v, want ErrSignedOut", err)
		}
		if err := e.svc.SignOut(t.Context(), c.ID); err != nil {
			t.Fatal(err)
		}
		if e.current(c.ID) != nil {
			t.Error("signed out, yet the client has a current session")
		}
		if _, err := e.svc.LiveSession(t.Context(), second.ID); !errors.Is(err, session.ErrSignedOut) {
			t.Errorf("after sign-out, the session the browser still names: %v, want ErrSignedOut", err)
		}
	})
}

// REQ-SES-03: a session ends after its absolute lifetime however active it
// is, and after the inactivity timeout when nothing happens; any activity —
// a token refresh, a page of the portal, a reverification — restarts the
// idle clock. Ending writes session.ended with status expired.
func TestTimeouts_REQ_SES_03(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()

		// Idle: nothing for the whole timeout ends it.
		c, sess := e.signIn()
		e.clock.Advance(idle - time.Second)
		if e.current(c.ID) == nil {
			t.Fatal("ended before the idle timeout")
		}
		e.clock.Advance(idle) // a page load just now counted as activity
		if e.current(c.ID) != nil {
			t.Fatal("idle for the whole timeout, yet live")
		}
		if st := e.status(sess.ID); st != session.Expired {
			t.Errorf("idle session is %s, want expired", st)
		}
		if got := domaintest.EventTypes(t, e.st.Q, sess.ID); !slices.Equal(got, []string{events.SessionCreated, events.SessionEnded}) {
			t.Errorf("events %v", got)
		}

		// Activity of each kind restarts the idle clock.
		_, refreshed := e.signIn()
		_, paged := e.signIn()
		pagedClient, _ := e.st.Q.SessionByID(ctx, paged.ID)
		_, reverified := e.signIn()
		e.clock.Advance(idle - time.Minute)
		if _, _, err := e.svc.Token(ctx, refreshed, "https://app.example.com"); err != nil {
			t.Fatal(err)
		}
		if e.current(pagedClient.ClientID) == nil {
			t.Fatal("page load: signed out too early")
		}
		if err := e.svc.Reverified(ctx, reverified, true, false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(idle - time.Minute) // long past the first sign-in's idle deadline
		for what, s := range map[string]*session.Session{"a token refresh": refreshed, "a portal page": paged, "a reverification": reverified} {
			if _, err := e.svc.LiveSession(ctx, s.ID); err != nil {
				t.Errorf("after %s the session ended anyway: %v", what, err)
			}
		}

		// Absolute: activity every 20 minutes does not carry it past its lifetime.
		c, sess = e.signIn()
		for elapsed := time.Duration(0); elapsed < lifetime-20*time.Minute; elapsed += 20 * time.Minute {
			e.clock.Advance(20 * time.Minute)
			if e.current(c.ID) == nil {
				t.Fatalf("active session ended after %v, before its lifetime", elapsed)
			}
		}
		e.clock.Advance(20 * time.Minute)
		if e.current(c.ID) != nil {
			t.Fatal("active session outlived its absolute lifetime")
		}
		if _, err := e.svc.LiveSession(ctx, sess.ID); !errors.Is(err, session.ErrSignedOut) {
			t.Errorf("LiveSession past the lifetime: %v", err)
		}
	})
}

// An impersonation session's tokens end by the session's end however long
// a lifetime is asked (the Backend API's expires_in_seconds), and say no
// factor of the user's was verified; the user's own session's tokens keep
// the lifetime asked.
func TestImpersonationTokensEndWithTheSession(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		_, own := e.signIn()
		support, err := e.svc.NewClient(t.Context()) // the support agent's browser
		if err != nil {
			t.Fatal(err)
		}
		var imp *session.Session
		err = e.svc.InTx(t.Context(), func(r session.Repo) error {
			var err error
			imp, err = e.svc.StartImpersonation(t.Context(), r, support.ID, own.UserID, "203.0.113.9", "Firefox",
				session.Impersonation{Actor: []byte(`{"sub":"user_support"}`), MaxLifetime: 30 * time.Minute})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		claims := func(s *session.Session, ttl time.Duration) (exp int64, fva [2]int) {
			t.Helper()
			tok, _, err := e.svc.TokenFor(t.Context(), s, "https://app.example.com", ttl)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Exp int64  `json:"exp"`
				FVA [2]int `json:"fva"`
			}
			if err := json.Unmarshal(jwtPayload(t, tok), &c); err != nil {
				t.Fatal(err)
			}
			return c.Exp, c.FVA
		}
		e.clock.Advance(20 * time.Minute)
		exp, fva := claims(imp, 24*time.Hour)
		if want := imp.ExpireAt.Unix(); exp != want || fva != [2]int{-1, -1} {
			t.Errorf("impersonation token asked for a day: exp %d (session ends %d), fva %v; want the session's end and [-1 -1]", exp, want, fva)
		}
		if exp, _ := claims(own, 24*time.Hour); exp != e.clock.Now().Add(24*time.Hour).Unix() {
			t.Errorf("the user's own session's token for a day: exp %d", exp)
		}
	})
}

// jwtPayload decodes a compact JWS's payload (the signature is the token
// package's to check).
func jwtPayload(t *testing.T, tok string) []byte {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ClaimClient creates the record of a client whose ID the portal handed
// out before any record existed; several first requests at once all end
// on that one record, and only a client ID is taken.
func TestClaimClientCreatesOnceUnderTheGivenID(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		cid := id.New(id.Client)
		if _, err := e.st.Q.ClientByID(ctx, cid); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("before the claim: %v, want not found", err)
		}
		var (
			got  [4]*session.Client
			errs [4]error
			wg   sync.WaitGroup
		)
		for i := range got {
			wg.Go(func() { got[i], errs[i] = e.svc.ClaimClient(ctx, cid) })
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i] == nil || got[i].ID != cid {
				t.Fatalf("claim %d: %+v, %v; want client %s", i, got[i], errs[i], cid)
			}
		}
		if _, err := e.st.Q.ClientByID(ctx, cid); err != nil {
			t.Fatalf("after the claims: %v", err)
		}
		if _, err := e.svc.ClaimClient(ctx, id.New(id.Session)); err == nil {
			t.Errorf("a session ID was claimed as a client")
		}
	})
}
