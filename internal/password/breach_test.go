package password_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/testutil/pwnedtest"
)

const (
	breachedPW = "correct horse battery staple" // listed by the fake as seen 42 times
	paddedPW   = "only a padding line of count zero"
	freshPW    = "violet kettle under the marsh lamp"
)

func newBreaches(url string, log *bytes.Buffer) *password.Breaches {
	return &password.Breaches{URL: url, Log: slog.New(slog.NewTextHandler(log, nil))}
}

// REQ-PW-05 (ASVS 6.2.12): a password seen in a breach is found through
// the range API, and only the first five hex digits of its SHA-1 leave the
// process, asked with padding and a User-Agent naming Portal.
func TestBreachesRangeAPI_REQ_PW_05(t *testing.T) {
	api := pwnedtest.Start(t, breachedPW)
	api.Add(paddedPW, 0)
	var log bytes.Buffer
	b := newBreaches(api.URL+"/", &log) // a trailing slash is fine

	if n, err := b.Count(t.Context(), breachedPW); err != nil || n != 42 {
		t.Errorf("Count(breached) = %d, %v; want 42", n, err)
	}
	if !b.Breached(t.Context(), breachedPW) {
		t.Error("Breached(breached) = false")
	}
	// The padding the API adds has count 0: never a breach.
	if b.Breached(t.Context(), paddedPW) {
		t.Error("Breached(a padding line's password) = true; count-0 lines must be ignored")
	}
	if b.Breached(t.Context(), freshPW) {
		t.Error("Breached(unlisted) = true")
	}

	reqs := api.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		pw := []string{breachedPW, breachedPW, paddedPW, freshPW}[i]
		digest := pwnedtest.SHA1(pw)
		if r.Method != http.MethodGet || r.Path != "/range/"+digest[:5] || r.RawQuery != "" || r.Body != 0 {
			t.Errorf("request %d: %s %s?%s (%d body bytes); want GET /range/%s and nothing else", i, r.Method, r.Path, r.RawQuery, r.Body, digest[:5])
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(strings.ToUpper(v), digest[5:10]) || strings.Contains(v, pw) {
					t.Errorf("request %d: header %s carries the password or more of its hash: %q", i, k, v)
				}
			}
		}
		if got := r.Header.Get("Add-Padding"); got != "true" {
			t.Errorf("request %d: Add-Padding = %q, want true", i, got)
		}
		if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "Portal") {
			t.Errorf("request %d: User-Agent = %q, want one naming Portal", i, ua)
		}
	}
	if log.Len() != 0 {
		t.Errorf("logged on success: %s", log.String())
	}
}

// A failed lookup lets the password through (fails open) and logs a
// warning, at most once a minute, that holds neither the password nor
// any of its hash.
func TestBreachesFailOpen(t *testing.T) {
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>maintenance</html>\n"))
	}))
	defer garbled.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := strings.Repeat("A", 35) + ":1\r\n"
		_, _ = w.Write([]byte(strings.Repeat(line, 20000))) // 760 KB
	}))
	defer huge.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	down := pwnedtest.Start(t, breachedPW)
	down.Fail(http.StatusServiceUnavailable)

	for name, url := range map[string]string{"non-200": down.URL, "garbled": garbled.URL, "too large": huge.URL,
		"timeout": slow.URL, "refused": refused} {
		t.Run(name, func(t *testing.T) {
			var log bytes.Buffer
			b := newBreaches(url, &log)
			b.Timeout = 300 * time.Millisecond
			start := time.Now()
			if _, err := b.Count(t.Context(), breachedPW); err == nil {
				t.Fatal("Count: no error")
			}
			if b.Breached(t.Context(), breachedPW) || b.Breached(t.Context(), breachedPW) {
				t.Error("Breached = true on a failed lookup; it must fail open")
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("three failed lookups took %v", d)
			}
			out := log.String()
			if strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, "fails open") {
				t.Errorf("log = %q; want one warning for two failures", out)
			}
			digest := pwnedtest.SHA1(breachedPW)
			if strings.Contains(out, breachedPW) || strings.Contains(out, digest[:5]) {
				t.Errorf("log holds the password or its hash's prefix: %q", out)
			}
		})
	}
}

// REQ-PW-05: the policy looks a password up only once every local check
// passed, and refuses a breached one on the password field with Clerk's
// form_password_pwned for the Backend API.
func TestPolicyBreached_REQ_PW_05(t *testing.T) {
	api := pwnedtest.Start(t, breachedPW, "1qaz2wsx3edc4rfv")
	var log bytes.Buffer
	p := password.Policy{MinLength: 15, Breaches: newBreaches(api.URL, &log)}
	ctx := t.Context()
	for _, pw := range []string{"short", "1qaz2wsx3edc4rfv" /* common */, "portal is my home and castle"} {
		if err := p.Check(ctx, pw, "portal"); err == nil || errors.Is(err, password.ErrBreached) {
			t.Errorf("Check(%q) = %v, want a local refusal", pw, err)
		}
	}
	if n := len(api.Requests()); n != 0 {
		t.Errorf("%d lookups for passwords the local checks refused; want none", n)
	}
	err := p.Check(ctx, breachedPW, "portal")
	e, ok := apperr.As(err)
	if !ok || err != password.ErrBreached || e.Field != "password" || e.Code != apperr.Invalid ||
		e.APICode != "form_password_pwned" || e.ID != "error.password.breached" {
		t.Fatalf("Check(breached) = %#v, want ErrBreached on the password field", err)
	}
	if !strings.Contains(e.Message, "data breach") {
		t.Errorf("message %q does not say why", e.Message)
	}
	if err := p.Check(ctx, freshPW, "portal"); err != nil {
		t.Errorf("Check(fresh) = %v", err)
	}
	if n := len(api.Requests()); n != 2 {
		t.Errorf("%d lookups, want 2", n)
	}
	// Without a list, no lookup at all.
	if err := (password.Policy{MinLength: 15}).Check(ctx, breachedPW); err != nil {
		t.Errorf("Check without Breaches = %v", err)
	}
}
