package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-IN-08: the running server bounds what one request may hold and how
// long it may take: a client that never finishes its headers or its body
// is cut off after PORTAL_READ_HEADER_TIMEOUT / PORTAL_READ_TIMEOUT, headers
// over 64 KiB get 431, a body over PORTAL_MAX_BODY_BYTES 413 and a form
// with more than 100 fields 413, before any handler reads it.
func TestServerBoundsRequests_REQ_IN_08(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_READ_HEADER_TIMEOUT": "200ms", "PORTAL_READ_TIMEOUT": "1500ms", "PORTAL_MAX_BODY_BYTES": "16KiB"}})
	addr := strings.TrimPrefix(p.URL, "http://")

	// cutOff sends start and then nothing, and wants the server to close
	// the connection well before a patient client would give up.
	cutOff := func(t *testing.T, start string, within time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, start); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, conn) // returns when the server closes
		if took := time.Since(began); err != nil || took > within {
			t.Errorf("%q: connection open for %v (%v), want it closed after the timeout", start, took, err)
		}
	}
	t.Run("slow headers", func(t *testing.T) {
		// Well before the 1.5 s read timeout, which would also end it.
		cutOff(t, "GET /sign-in HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: ", time.Second)
	})
	t.Run("slow body", func(t *testing.T) {
		cutOff(t, "POST /sign-in HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: 1000\r\n\r\nidentifier=", 5*time.Second)
	})

	t.Run("large headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /sign-in HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\n\r\n", addr, strings.Repeat("a", 70<<10))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("70 KiB of headers: %v, %v; want 431", resp, err)
		}
	})

	b := newBrowser(t, p)
	b.get("/sign-in") // the CSRF cookie
	post := func(form url.Values) int {
		form.Set("_csrf", b.csrf())
		return b.send(b.request(http.MethodPost, "/sign-in", form)).Status
	}
	if got := post(url.Values{"identifier": {strings.Repeat("a", 17<<10)}}); got != http.StatusRequestEntityTooLarge {
		t.Errorf("a 17 KiB form: %d, want 413", got)
	}
	many := url.Values{}
	for i := range 100 {
		many.Set(fmt.Sprintf("f%d", i), "x")
	}
	if got := post(many); got != http.StatusRequestEntityTooLarge {
		t.Errorf("101 fields with the token: %d, want 413", got)
	}
	many.Del("f0")
	if got := post(many); got == http.StatusRequestEntityTooLarge {
		t.Errorf("100 fields with the token: %d, want the form to be read", got)
	}
}
