package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// stallProxy forwards TCP connections to a server and, while paused,
// forwards nothing and opens nothing: a database whose network has
// stopped answering, not one that refuses.
type stallProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	paused   bool
	resume   chan struct{}
	conns    []net.Conn
}

// behindStallProxy starts a portal on a PostgreSQL schema of the test's own,
// reached through a stallProxy the test can pause or stop, with JSON logs
// into log, the given settings added, and Ada as a user.
func behindStallProxy(t *testing.T, log *syncBuffer, env map[string]string) (*portaltest.Portal, *stallProxy) {
	t.Helper()
	db, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startStallProxy(t, db.Host)
	db.Host = proxy.ln.Addr().String()
	all := map[string]string{"PORTAL_DATABASE_URL": db.String(), "PORTAL_LOG_FORMAT": "json"}
	for k, v := range env {
		all[k] = v
	}
	p := portaltest.Start(t, portaltest.Options{Log: log, Env: all})
	apiUser(t, p, "ada@example.com")
	return p, proxy
}

func startStallProxy(t *testing.T, upstream string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, upstream: upstream, resume: make(chan struct{})}
	t.Cleanup(func() {
		p.unpause()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.ln.Close()
		for _, c := range p.conns {
			c.Close()
		}
	})
	go p.accept(ln)
	return p
}

func (p *stallProxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			p.wait()
			up, err := net.Dial("tcp", p.upstream)
			if err != nil {
				c.Close()
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go p.copy(up, c)
			go p.copy(c, up)
		}()
	}
}

func (p *stallProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			return
		}
	}
}

func (p *stallProxy) wait() {
	p.mu.Lock()
	paused, ch := p.paused, p.resume
	p.mu.Unlock()
	if paused {
		<-ch
	}
}

func (p *stallProxy) pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
}

func (p *stallProxy) unpause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		p.paused = false
		close(p.resume)
		p.resume = make(chan struct{})
	}
}

// stop closes the proxy's port and every connection it forwards: a
// database that has stopped (PostgreSQL shut down), whose address now
// refuses connections.
func (p *stallProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// start takes connections again on the same address after stop: the
// database is back.
func (p *stallProxy) start(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	ln, err := net.Listen("tcp", p.ln.Addr().String())
	if err != nil {
		t.Fatalf("the database's address again: %v", err)
	}
	p.ln = ln
	go p.accept(ln)
}

// A database that refuses connections (PostgreSQL stopped) is a database
// lost like any other, not a fault of the portal: the person is told
// "Something interrupted this request" (503, Retry-After), the Backend API
// answers 503 service_unavailable, and the log has a warning saying the
// database could not be reached, not an "internal error".
func TestStoppedDatabaseIsAnInterruptionNotAnInternalError(t *testing.T) {
	var log syncBuffer
	p, proxy := behindStallProxy(t, &log, nil)
	b := newBrowser(t, p)
	start := b.get("/sign-in")

	proxy.stop()
	if c, err := net.Dial("tcp", proxy.ln.Addr().String()); err == nil {
		c.Close()
		t.Fatal("the stopped database still takes connections")
	}
	mark := log.Len()
	pg := b.submit(start, `form[action="/sign-in"]`, map[string]string{"identifier": "ada@example.com"})
	wantText(t, "sign-in with the database stopped", pg, http.StatusServiceUnavailable, "Something interrupted this request.")
	if pg.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503")
	}
	pg = b.get("/sign-up")
	wantText(t, "a page with the database stopped", pg, http.StatusServiceUnavailable, "Something interrupted this request.")

	req, _ := http.NewRequest(http.MethodGet, p.URL+"/v1/users", nil)
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "service_unavailable") ||
		res.Header.Get("Retry-After") == "" {
		t.Errorf("Backend API with the database stopped: %d %s", res.StatusCode, body)
	}

	logged := log.String()[mark:]
	if strings.Contains(logged, "internal error") || strings.Contains(logged, `"level":"ERROR"`) {
		t.Errorf("a stopped database is logged as an internal error:\n%s", logged)
	}
	if !strings.Contains(logged, "could not connect to the database") {
		t.Errorf("the log does not say the database could not be reached:\n%s", logged)
	}
}

// A database that stops answering (its host frozen, the network between
// cut) does not hold a person's request until the browser gives up: within
// the write timeout the request ends with "Something interrupted this
// request" (503, Retry-After), the page the person can still be sent, and
// the log says what it waited for. The Backend API answers 503
// service_unavailable the same way. Once the database answers again, so
// does the portal.
func TestStalledDatabaseStillAnswersWithinTheWriteTimeout(t *testing.T) {
	var log syncBuffer
	p, proxy := behindStallProxy(t, &log, map[string]string{"PORTAL_WRITE_TIMEOUT": "3s", "PORTAL_LOG_LEVEL": "info"})
	b := newBrowser(t, p)
	start := b.get("/sign-in")

	proxy.pause()
	// Should the portal wait for ever, the database comes back after a
	// while, for the test to fail rather than hang.
	defer time.AfterFunc(15*time.Second, proxy.unpause).Stop()
	began := time.Now()
	pg := b.submit(start, `form[action="/sign-in"]`, map[string]string{"identifier": "ada@example.com"})
	took := time.Since(began)
	wantText(t, "sign-in with the database stalled", pg, http.StatusServiceUnavailable, "Something interrupted this request.")
	if pg.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503")
	}
	if took > 3*time.Second {
		t.Errorf("the answer took %v, past the 3 s write timeout", took)
	}
	if !strings.Contains(log.String(), "PORTAL_WRITE_TIMEOUT") {
		t.Errorf("the log does not say the request ran out of time:\n%s", log.String())
	}

	req, _ := http.NewRequest(http.MethodGet, p.URL+"/v1/users", nil)
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "service_unavailable") {
		t.Errorf("Backend API with the database stalled: %d %s", res.StatusCode, body)
	}

	// /readyz says so in 2 s, on one warning line with the cause.
	mark := log.Len()
	if res, err := http.Get(p.URL + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database stalled: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if lines := readyzLines(t, log.String()[mark:]); len(lines) != 1 || lines[0]["level"] != "WARN" || lines[0]["err"] == nil {
		t.Errorf("/readyz not ready logged %v, want one warning with the cause", lines)
	}

	proxy.unpause()
	// Ready again, and a load balancer's probes no longer fill the log.
	mark = log.Len()
	for range 3 {
		if res, err := http.Get(p.URL + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("/readyz after the database came back: %v %v", res, err)
		} else {
			res.Body.Close()
		}
	}
	if lines := readyzLines(t, log.String()[mark:]); len(lines) != 0 {
		t.Errorf("a ready /readyz is logged at the default level: %v", lines)
	}
	pg = b.submit(b.get("/sign-in"), `form[action="/sign-in"]`, map[string]string{"identifier": "ada@example.com"})
	if pg.Status != http.StatusOK || !strings.Contains(pg.text(), "password") {
		t.Errorf("after the database came back: %d %s", pg.Status, pg.text())
	}
}

// readyzLines are the JSON log lines about /readyz in log.
func readyzLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, "/readyz") && !strings.Contains(l, "not ready") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// PostgreSQL stopped, then started again, with the portal left running:
// meanwhile /readyz says not ready and pages say "Something interrupted
// this request" without a word of the portal's insides; once the database
// takes connections again the portal is ready and serves by itself —
// the sign-in begun before the outage goes on — with no restart.
func TestStoppedDatabaseComingBackIsServedWithoutARestart(t *testing.T) {
	var log syncBuffer
	p, proxy := behindStallProxy(t, &log, nil)
	b := newBrowser(t, p)
	password := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	if password.Doc.Find(passwordForm).Length() == 0 {
		t.Fatalf("no password step before the outage:\n%s", password.text())
	}

	proxy.stop()
	ready := func() int {
		res, err := http.Get(p.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database stopped: %d, want 503", got)
	}
	pg := b.get("/user")
	wantText(t, "a page with the database stopped", pg, http.StatusServiceUnavailable, "Something interrupted this request.")
	for _, leak := range []string{"dial tcp", "connect", "sql", "goroutine", proxy.ln.Addr().String()} {
		if strings.Contains(strings.ToLower(pg.Body), leak) {
			t.Errorf("the outage page tells the visitor %q:\n%s", leak, pg.Body)
		}
	}

	proxy.start(t)
	deadline := time.Now().Add(5 * time.Second)
	for ready() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not ready 5 s after the database came back:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantHandBack(t, b.submit(password, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)
}
