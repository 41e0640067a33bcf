package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

func clientStore(maxAge int) *sessions.CookieStore {
	s := sessions.NewCookieStore(securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32))
	s.Options = &sessions.Options{Path: "/", MaxAge: maxAge}
	s.MaxAge(maxAge)
	return s
}

func clientCookieOf(t *testing.T, s *sessions.CookieStore, id string) string {
	t.Helper()
	v, err := securecookie.EncodeMulti(clientCookie, map[any]any{clientIDKey: id, backKey: "http://localhost:5173/"}, s.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func clientIDOf(a *app, cookie string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: clientCookie, Value: cookie})
	}
	return a.clientID(echo.New().NewContext(r, httptest.NewRecorder()))
}

// The remembered decodings answer exactly as decoding would: only for the
// store whose keys verified the value, and not past the value's max age.
func TestClientIDRemembersDecodedCookies(t *testing.T) {
	a := &app{clients: clientStore(3600), clientIDs: newDecodedCookies(clientIDsKept)}
	other := &app{clients: clientStore(3600), clientIDs: a.clientIDs} // one cache, other keys
	v := clientCookieOf(t, a.clients, "client_1")
	for i := range 2 { // decoded, then remembered
		if got := clientIDOf(a, v); got != "client_1" {
			t.Fatalf("call %d: clientID = %q, want client_1", i, got)
		}
	}
	if _, ok := a.clientIDs.get(a.clients, v, time.Now().Unix()); !ok {
		t.Error("a decoded value is not remembered")
	}
	if got := clientIDOf(other, v); got != "" {
		t.Errorf("another store's keys accept the value: %q", got)
	}
	if got := clientIDOf(a, v[:len(v)-4]+"AAA="); got != "" {
		t.Errorf("a tampered value gives %q", got)
	}
	if got := clientIDOf(a, ""); got != "" {
		t.Errorf("no cookie gives %q", got)
	}

	ts, ok := cookieTimestamp(v)
	if now := time.Now().Unix(); !ok || ts < now-5 || ts > now {
		t.Fatalf("cookieTimestamp = %d, %v; want about %d", ts, ok, now)
	}
	if _, ok := a.clientIDs.get(a.clients, v, ts+3600); !ok {
		t.Error("remembered value refused at its max age")
	}
	if _, ok := a.clientIDs.get(a.clients, v, ts+3601); ok {
		t.Error("remembered value accepted past its max age")
	}
}

func TestDecodedCookiesStayBounded(t *testing.T) {
	s := clientStore(3600)
	d := newDecodedCookies(2)
	for _, v := range []string{"a", "b", "c"} {
		d.put(s, v, "id-"+v, 1)
	}
	if id, ok := d.get(s, "a", 1); !ok || id != "id-a" { // in the older generation, and moved up
		t.Errorf("a: %q %v", id, ok)
	}
	d.put(s, "e", "id-e", 1)
	if _, ok := d.get(s, "b", 1); ok {
		t.Error("b outlived two generations")
	}
	if n := len(d.cur) + len(d.older); n > 4 {
		t.Errorf("%d entries, want at most 2 generations of 2", n)
	}
}

// A response sets __client once: a request that made a client and then
// moved to a sign-in's new one sends only the last, other cookies kept.
func TestClientCookieSetOncePerResponse(t *testing.T) {
	a := &app{clients: clientStore(3600), clientIDs: newDecodedCookies(clientIDsKept)}
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/", nil), rec)
	http.SetCookie(c.Response(), &http.Cookie{Name: "__session", Value: "t"})
	for _, id := range []string{"client_1", "client_2"} {
		if err := a.setClientCookie(c, id); err != nil {
			t.Fatal(err)
		}
	}
	var clients, others int
	for _, h := range rec.Header().Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(h)
		if err != nil {
			t.Fatal(err)
		}
		if ck.Name != clientCookie {
			others++
			continue
		}
		clients++
		if got := clientIDOf(a, ck.Value); got != "client_2" {
			t.Errorf("__client holds %q, want the last, client_2", got)
		}
	}
	if clients != 1 || others != 1 {
		t.Errorf("Set-Cookie: %d __client, %d others, want 1 and 1: %q", clients, others, rec.Header().Values("Set-Cookie"))
	}
}
