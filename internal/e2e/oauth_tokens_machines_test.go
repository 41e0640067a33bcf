package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Two machines on one PostgreSQL database are asked for an expired
// provider token at the same moment, and the provider rotates refresh
// tokens (each is accepted once, as GitHub's expiring tokens are): the
// first machine's refresh spends the token and its answer is slow to come
// back; the second's is refused as spent meanwhile. The second waits for
// the first's result in the store instead of recording the refusal as the
// account's: both answer the app with the fresh token. Either way the
// account keeps a usable set — read again without asking the provider,
// and refreshed again once it expires.
func TestOAuthAccessTokensRefreshedOnTwoMachinesAtOnce(t *testing.T) {
	// held is how long the first machine's answer is kept back after the
	// second's refusal: a moment (the second then waits for it), or longer
	// than the second waits (2 s), when the second answers the refusal and
	// records it, and the first, storing its fresh set, takes the place of
	// that record rather than leaving the account refused.
	for _, c := range []struct {
		name       string
		held       time.Duration
		secondGets int
	}{{"the second waits for the first", 300 * time.Millisecond, http.StatusOK},
		{"the first outlasts the second's wait", 2500 * time.Millisecond, http.StatusBadRequest}} {
		t.Run(c.name, func(t *testing.T) { refreshOnTwoMachines(t, c.held, c.secondGets) })
	}
}

func refreshOnTwoMachines(t *testing.T, held time.Duration, secondGets int) {
	db := pgtest.URL(t)
	clock := clockwork.NewFakeClockAt(time.Now())
	op := oidctest.Start(t)
	env := func() map[string]string {
		return withOIDC(map[string]string{"PORTAL_DATABASE_URL": db}, "corp", corpDisplay, op)
	}
	one := portaltest.Start(t, portaltest.Options{Clock: clock, Env: env()})
	two := portaltest.Start(t, portaltest.Options{Clock: clock, Env: env()})
	b := newBrowser(t, one)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp)), http.StatusSeeOther, appURL)
	u := userByEmail(t, one, "ada@example.com")
	path := "/v1/users/" + u.ID + "/oauth_access_tokens/oauth_" + corp

	op.RotateRefreshTokens()
	const lifetime = 10 * time.Minute // mockoidc's access tokens
	op.FastForward(2 * time.Second)
	clock.Advance(lifetime)

	type answer struct {
		status int
		body   []byte
		err    error
	}
	ask := func(p *portaltest.Portal) <-chan answer {
		out := make(chan answer, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodGet, p.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+p.SecretKey)
			resp, err := p.HTTPClient().Do(req)
			if err != nil {
				out <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			out <- answer{resp.StatusCode, body, err}
		}()
		return out
	}
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: did not happen", what)
		}
	}
	arrived, release := op.HoldNextRefresh()
	defer release()
	first := ask(one)
	wait("the first machine's refresh reaching the provider", arrived)
	second := ask(two)
	wait("the second machine's refresh refused as spent", op.SpentRefreshSeen())
	// The first's answer is still held: the second has its refusal
	// before the fresh set is stored.
	time.Sleep(held)
	release()

	fresh := ""
	for i, ch := range []<-chan answer{first, second} {
		a := <-ch
		if i == 1 && secondGets != http.StatusOK {
			if a.err != nil || a.status != secondGets || !strings.Contains(string(a.body), "oauth_token_retrieval_error") {
				t.Fatalf("machine 2: %d %s (%v), want %d oauth_token_retrieval_error", a.status, a.body, a.err, secondGets)
			}
			continue
		}
		var list []providerToken
		if a.err != nil || a.status != http.StatusOK || json.Unmarshal(a.body, &list) != nil || len(list) != 1 {
			t.Fatalf("machine %d: %d %s (%v), want the fresh token", i+1, a.status, a.body, a.err)
		}
		if fresh == "" {
			fresh = list[0].Token
		}
		if list[0].Token != fresh || fresh != op.Issued().Access {
			t.Errorf("machine %d answered …%s, want the refreshed …%s", i+1, tail(list[0].Token), tail(op.Issued().Access))
		}
	}
	grants := op.RefreshGrants()
	for _, p := range []*portaltest.Portal{one, two} {
		if list := providerTokens(t, p, u.ID, "oauth_"+corp); len(list) != 1 || list[0].Token != fresh {
			t.Errorf("read again: %+v, want the fresh token", list)
		}
	}
	if n := op.RefreshGrants(); n != grants {
		t.Errorf("read again: the provider saw %d more refresh grants, want none", n-grants)
	}

	op.FastForward(2 * time.Second)
	clock.Advance(lifetime)
	list := providerTokens(t, two, u.ID, "oauth_"+corp)
	if len(list) != 1 || list[0].Token == fresh || list[0].Token != op.Issued().Access {
		t.Errorf("the fresh set expired: %+v, want it refreshed once more", list)
	}
}
