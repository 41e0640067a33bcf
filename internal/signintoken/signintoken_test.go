package signintoken_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

type env struct {
	t     *testing.T
	st    *store.Store
	clock *clockwork.FakeClock
	svc   *signintoken.Service
}

func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) {
		st, clock := domaintest.Open(t, url)
		test(t, &env{t: t, st: st, clock: clock, svc: &signintoken.Service{Clock: clock, Repo: st.Q,
			InTx: store.Tx[signintoken.Repo](st), BaseURL: "https://accounts.example.com"}})
	})
}

func (e *env) account(email string, opts ...func(u *user.User)) *user.User {
	e.t.Helper()
	now := e.clock.Now()
	u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now}
	idn := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID, u.Identifiers = idn.ID, []user.Identifier{idn}
	for _, opt := range opts {
		opt(u)
	}
	if err := e.st.Q.CreateUser(e.t.Context(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) create(userID string, seconds *int64) (*signintoken.Token, string, string) {
	e.t.Helper()
	tok, ticket, link, err := e.svc.Create(e.t.Context(), signintoken.CreateInput{UserID: userID, ExpiresInSeconds: seconds})
	if err != nil {
		e.t.Fatalf("Create: %v", err)
	}
	return tok, ticket, link
}

func ptr[T any](v T) *T { return &v }

func TestCreateKeepsOnlyTheHashAndAnswersTheLinkOnce(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.account("ada@example.com")
		tok, ticket, link := e.create(u.ID, nil)
		if !strings.HasPrefix(tok.ID, "sit_") || tok.Status != signintoken.Pending || tok.UserID != u.ID {
			t.Errorf("token = %+v", tok)
		}
		if want := e.clock.Now().Add(30 * 24 * time.Hour); !tok.ExpiresAt.Equal(want) {
			t.Errorf("expires at %v, want the 30-day default %v", tok.ExpiresAt, want)
		}
		if len(ticket) < 43 {
			t.Errorf("token %q is shorter than 256 bits", ticket)
		}
		lu, err := url.Parse(link)
		if err != nil || lu.Scheme+"://"+lu.Host+lu.Path != "https://accounts.example.com/sign-in" || lu.Query().Get("__clerk_ticket") != ticket {
			t.Errorf("link = %q, want the sign-in page with __clerk_ticket=<token>", link)
		}
		stored, err := e.st.Q.SignInTokenByID(t.Context(), tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.TokenHash == ticket || stored.TokenHash != signintoken.Hash(ticket) {
			t.Errorf("stored %q: want the token's hash and never the token", stored.TokenHash)
		}

		short, _, _ := e.create(u.ID, ptr(int64(60)))
		if want := e.clock.Now().Add(time.Minute); !short.ExpiresAt.Equal(want) {
			t.Errorf("expires_in_seconds=60: expires at %v, want %v", short.ExpiresAt, want)
		}
	})
}

func TestCreateRefusals(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		u := e.account("ada@example.com")
		for _, n := range []int64{0, -1, 2592001} {
			_, _, _, err := e.svc.Create(ctx, signintoken.CreateInput{UserID: u.ID, ExpiresInSeconds: &n})
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Invalid || ae.Field != "expires_in_seconds" {
				t.Errorf("expires_in_seconds=%d: %v, want invalid expires_in_seconds", n, err)
			}
		}
		if _, _, _, err := e.svc.Create(ctx, signintoken.CreateInput{UserID: "user_nobody"}); !errors.Is(err, signintoken.ErrUserNotFound) {
			t.Errorf("unknown user: %v, want ErrUserNotFound", err)
		}
		if _, _, _, err := e.svc.Create(ctx, signintoken.CreateInput{}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("no user_id: %v, want invalid", err)
		}
		until := e.clock.Now().Add(time.Hour)
		for name, opt := range map[string]func(*user.User){
			"banned":             func(u *user.User) { u.Banned = true },
			"locked by an admin": func(u *user.User) { u.AdminLocked = true },
			"locked out":         func(u *user.User) { u.LockedUntil = &until },
		} {
			x := e.account(strings.ReplaceAll(name, " ", "-")+"@example.com", opt)
			if _, _, _, err := e.svc.Create(ctx, signintoken.CreateInput{UserID: x.ID}); !errors.Is(err, signintoken.ErrCannotSignIn) {
				t.Errorf("%s: %v, want ErrCannotSignIn", name, err)
			}
		}
	})
}

func TestUseOnceRevokeAndExpiry(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		u := e.account("ada@example.com")
		tok, ticket, _ := e.create(u.ID, ptr(int64(3600)))

		// Peeking (the confirmation page) spends nothing.
		for range 2 {
			got, gu, err := e.svc.Peek(ctx, ticket)
			if err != nil || got.ID != tok.ID || gu.ID != u.ID {
				t.Fatalf("Peek: %+v %v %v", got, gu, err)
			}
		}
		used, err := e.svc.UseIn(ctx, e.st.Q, ticket)
		if err != nil || used.Status != signintoken.Accepted {
			t.Fatalf("first use: %+v %v", used, err)
		}
		if _, err := e.svc.UseIn(ctx, e.st.Q, ticket); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("second use: %v, want ErrGone", err)
		}
		if _, _, err := e.svc.Peek(ctx, ticket); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("peek after use: %v, want ErrGone", err)
		}
		if _, err := e.svc.Revoke(ctx, tok.ID); !errors.Is(err, signintoken.ErrNotPending) {
			t.Errorf("revoking a used token: %v, want ErrNotPending", err)
		}

		// Revoked: the object says so and the link stops working.
		tok2, ticket2, _ := e.create(u.ID, nil)
		e.clock.Advance(time.Second)
		rev, err := e.svc.Revoke(ctx, tok2.ID)
		if err != nil || rev.Status != signintoken.Revoked || !rev.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("Revoke: %+v %v", rev, err)
		}
		if obj := rev.ToObject("", ""); obj.Object != "sign_in_token" || obj.Status != "revoked" || obj.Token != "" || obj.URL != "" {
			t.Errorf("revoked object = %+v", obj)
		}
		if _, err := e.svc.UseIn(ctx, e.st.Q, ticket2); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("use after revoke: %v, want ErrGone", err)
		}
		if _, err := e.svc.Revoke(ctx, tok2.ID); !errors.Is(err, signintoken.ErrNotPending) {
			t.Errorf("revoking twice: %v, want ErrNotPending", err)
		}
		if _, err := e.svc.Revoke(ctx, id.New(id.SignInToken)); !errors.Is(err, signintoken.ErrNotFound) {
			t.Errorf("revoking an unknown ID: %v, want ErrNotFound", err)
		}

		// Expired: refused, and left pending (Clerk reports it so).
		tok3, ticket3, _ := e.create(u.ID, ptr(int64(60)))
		e.clock.Advance(time.Minute)
		if _, _, err := e.svc.Peek(ctx, ticket3); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("peek when expired: %v, want ErrGone", err)
		}
		if _, err := e.svc.UseIn(ctx, e.st.Q, ticket3); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("use when expired: %v, want ErrGone", err)
		}
		if got, _ := e.st.Q.SignInTokenByID(ctx, tok3.ID); got.Status != signintoken.Pending {
			t.Errorf("an expired token's status = %q, want pending", got.Status)
		}
		for _, bad := range []string{"", "not-a-token", strings.Repeat("x", 200)} {
			if _, err := e.svc.UseIn(ctx, e.st.Q, bad); !errors.Is(err, signintoken.ErrGone) {
				t.Errorf("use %q: %v, want ErrGone", bad, err)
			}
		}
		domaintest.WantErr(t, "gone", signintoken.ErrGone, apperr.Expired, "error.sign_in_token.gone")
	})
}
