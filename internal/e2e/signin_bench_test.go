package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// BenchmarkPasswordSignInOverhead is what a password sign-in costs besides
// its argon2id hash: `make bench`'s password sign-in (a new browser posts
// the identifier, then the password, and gets a session token) in-process
// through the whole handler stack, with a hasher of the smallest
// parameters argon2id allows, so what remains is the portal's own work —
// the store, the RS256 signature, cookies, middleware. Each microsecond
// here is taken from the hashing cores and so from the password sign-in
// ratio.
//
//	go test -run '^$' -bench PasswordSignInOverhead -benchmem ./internal/e2e/
func BenchmarkPasswordSignInOverhead(b *testing.B) {
	p := portaltest.Start(b, portaltest.Options{
		Hasher: password.NewHasher(password.Params{Memory: 8, Time: 1, Threads: 1}, 4, 5*time.Second)})
	// Each account may sign in 20 times in 10 minutes: 1,024 of them last
	// about 50 s of sign-ins (-benchtime up to 40s).
	const users = 1024
	for i := 0; i < users; {
		body := fmt.Sprintf(`{"email_address":["bench%04d@example.com"],"password":%q}`, i, goodPassword)
		req := httptest.NewRequest(http.MethodPost, p.URL+"/v1/users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+p.SecretKey)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		p.Handler.ServeHTTP(w, req)
		if w.Code == http.StatusTooManyRequests {
			// The secret key's own rate limit, as Clerk's: wait it out.
			time.Sleep(time.Second)
			continue
		}
		i++
		if w.Code != http.StatusOK {
			b.Fatalf("creating user %d: status %d: %s", i-1, w.Code, w.Body)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// A new browser from a new address each time, as in make bench,
		// so no per-address limit is reached.
		tok := make([]byte, 32)
		_, _ = rand.Read(tok)
		csrf := base64.RawURLEncoding.EncodeToString(tok)
		addr := fmt.Sprintf("10.%d.%d.%d:40000", byte(i>>16), byte(i>>8), byte(i))
		post := func(path string, form url.Values, cookies string) *httptest.ResponseRecorder {
			form.Set("_csrf", csrf)
			req := httptest.NewRequest(http.MethodPost, p.URL+path, strings.NewReader(form.Encode()))
			req.RemoteAddr = addr
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Cookie", "__csrf="+csrf+cookies)
			w := httptest.NewRecorder()
			p.Handler.ServeHTTP(w, req)
			return w
		}
		w := post("/sign-in", url.Values{"identifier": {fmt.Sprintf("bench%04d@example.com", i%users)}}, "")
		loc, _ := url.Parse(w.Header().Get("Location"))
		flow := ""
		if loc != nil {
			flow = loc.Query().Get("sign_in")
		}
		if w.Code != http.StatusSeeOther || flow == "" {
			b.Fatalf("identifier: status %d to %q", w.Code, w.Header().Get("Location"))
		}
		var client string
		for _, c := range w.Result().Cookies() {
			if c.Name == "__client" {
				client = "; __client=" + c.Value
			}
		}
		w = post("/sign-in/factor-one", url.Values{"sign_in": {flow}, "strategy": {"password"}, "password": {goodPassword}}, client)
		if w.Code != http.StatusSeeOther || !strings.Contains(strings.Join(w.Header().Values("Set-Cookie"), "\n"), "__session=ey") {
			b.Fatalf("password: status %d, cookies %q", w.Code, w.Header().Values("Set-Cookie"))
		}
	}
}
