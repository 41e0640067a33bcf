package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/user"
	"golang.org/x/crypto/bcrypt"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Users imported with a bcrypt password digest sign in with their password,
// which is then stored as argon2id (REQ-PW-08: the algorithm is upgraded on
// the next sign-in).
func TestImportedBcryptPasswordSignsInAndIsRehashed_REQ_PW_08(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	digest, err := bcrypt.GenerateFromPassword([]byte(goodPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := user.NewClient(clerkConfig(p)).Create(context.Background(), &user.CreateParams{
		EmailAddresses: &[]string{"ada@example.com"}, PasswordDigest: str(string(digest)), PasswordHasher: str("bcrypt")})
	if err != nil {
		t.Fatal(err)
	}
	if !u.PasswordEnabled {
		t.Error("password_enabled is false for an imported digest")
	}
	noSession(t, "a wrong password", signIn(t, newBrowser(t, p), "ada@example.com", wrongPassword, appURL))
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	stored, err := p.Store.Q.UserByID(context.Background(), u.ID)
	if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Fatalf("hash after sign-in = %q, %v; want argon2id", stored.PasswordHash, err)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// Listing filters by user ID, banned state and query, orders and pages as
// asked, and refuses an order it cannot serve; count ignores the page.
func TestListUsersFiltersOrdersAndPages(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	users := user.NewClient(clerkConfig(p))
	ctx := context.Background()
	var ids []string
	for i, name := range []string{"Carol", "alice", "Bob", "dave"} {
		u, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{fmt.Sprintf("u%d@example.com", i)},
			FirstName: str(name), SkipPasswordRequirement: boolPtr(true)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
		clock.Advance(time.Second)
	}
	if _, err := users.Ban(ctx, ids[3]); err != nil {
		t.Fatal(err)
	}
	names := func(params *user.ListParams) []string {
		t.Helper()
		list, err := users.List(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range list.Users {
			out = append(out, *u.FirstName)
		}
		return out
	}
	for what, c := range map[string]struct {
		params *user.ListParams
		want   string
	}{
		"default newest first": {&user.ListParams{}, "dave Bob alice Carol"},
		"oldest first":         {&user.ListParams{OrderBy: str("+created_at")}, "Carol alice Bob dave"},
		"by first name":        {&user.ListParams{OrderBy: str("first_name")}, "alice Bob Carol dave"},
		"page":                 {&user.ListParams{OrderBy: str("created_at"), ListParams: listPage(2, 1)}, "alice Bob"},
		"user IDs":             {&user.ListParams{UserIDs: []string{ids[0], ids[2]}, OrderBy: str("created_at")}, "Carol Bob"},
		"not banned":           {&user.ListParams{Banned: boolPtr(false), OrderBy: str("created_at")}, "Carol alice Bob"},
		"query on email":       {&user.ListParams{Query: str("U1@EXAMPLE")}, "alice"},
		"query with wildcard":  {&user.ListParams{Query: str("%")}, ""},
	} {
		if got := strings.Join(names(c.params), " "); got != c.want {
			t.Errorf("%s: %q, want %q", what, got, c.want)
		}
	}
	if n, err := users.Count(ctx, &user.ListParams{ListParams: listPage(1, 0), Banned: boolPtr(false)}); err != nil || n.TotalCount != 3 {
		t.Errorf("Count(not banned) = %+v, %v", n, err)
	}
	wantAPIError(t, api(t, p, http.MethodGet, "/v1/users?order_by=password_hash", nil, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	wantAPIError(t, api(t, p, http.MethodGet, "/v1/users?limit=501", nil, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
}
