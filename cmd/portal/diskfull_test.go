//go:build linux

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this binary as a portal in a process of its
// own (PORTAL_TEST_AS_PORTAL), whose disk it can fill: SIGUSR2 lowers the
// process's file-size limit to 0, so that every write to its files fails
// as on a full disk (Go ignores SIGXFSZ), and SIGUSR1 lifts it again.
func TestMain(m *testing.M) {
	if os.Getenv("PORTAL_TEST_AS_PORTAL") == "" {
		os.Exit(m.Run())
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		panic(err)
	}
	disk := make(chan os.Signal, 1)
	signal.Notify(disk, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for sig := range disk {
			l := lim
			if sig == syscall.SIGUSR2 {
				l.Cur = 0
			}
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &l); err != nil {
				panic(err)
			}
		}
	}()
	main()
}

// A SQLite portal whose disk fills up answers writes with 503 and
// Retry-After — the page "Something interrupted this request", the Backend
// API service_unavailable — not a 500, and logs an error that says what is
// wrong and what to do, with the request ID. Once space is freed it writes
// again by itself, with no restart.
func TestFullDiskIsAnOutageThePortalRecoversFrom(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a portal in a process of its own")
	}
	addr, settings := serveSettings(t)
	base := settings["PORTAL_BASE_URL"]
	secret := "sk_test_" + strings.Repeat("d", 40)
	settings["PORTAL_SECRET_KEY"] = secret
	settings["PORTAL_LOG_FORMAT"] = "json"
	settings["PORTAL_PASSWORD_BREACH_CHECK"] = "false"
	getenv, environ := envOf(settings)
	if err := run(context.Background(), []string{"migrate"}, getenv, environ, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), append(environ, "PORTAL_TEST_AS_PORTAL=1")...)
	var log syncBuffer
	cmd.Stderr, cmd.Stdout = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
	})
	_ = addr
	waitFor(t, base+"/healthz")

	createUser := func(n int) *http.Response {
		body := `{"email_address":["user` + strconv.Itoa(n) + `@example.com"],"password":"velvet-otter-harbour-lantern-42"}`
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := createUser(0); res.StatusCode != http.StatusOK {
		t.Fatalf("creating a user: %d\n%s", res.StatusCode, log.String())
	}
	if err := cmd.Process.Signal(syscall.SIGUSR2); err != nil { // the disk fills up
		t.Fatal(err)
	}
	var refused *http.Response
	n := 0
	eventually(t, "a write refused on the full disk", func() bool {
		n++ // the signal takes a moment: the first may yet be written
		refused = createUser(n)
		if refused.StatusCode != http.StatusOK && refused.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("creating a user on a full disk: %d, want 503:\n%s", refused.StatusCode, log.String())
		}
		return refused.StatusCode == http.StatusServiceUnavailable
	})
	if refused.Header.Get("Retry-After") == "" {
		t.Error("the Backend API's 503 has no Retry-After")
	}
	// The load balancer learns it too, from a warning that says why.
	status, body := getText(t, base+"/readyz")
	time.Sleep(100 * time.Millisecond) // the request's line is written after its answer
	if status != http.StatusServiceUnavailable || body != "not ready" {
		t.Errorf("/readyz on a full disk: %d %q, want 503 not ready", status, body)
	}
	var warned bool
	for _, line := range strings.Split(log.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["path"] != "/readyz" || m["status"] != float64(503) {
			continue
		}
		cause, _ := m["err"].(string)
		warned = m["level"] == "WARN" && strings.Contains(cause, "disk is full") && strings.Contains(cause, "free space")
	}
	if !warned {
		t.Errorf("/readyz's 503 is not a warning saying the disk is full and what to do:\n%s", log.String())
	}

	// A person's page: the sign-in's first step writes a flow.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := browser.Get(base + "/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]*)"`).FindSubmatch(form)
	if csrf == nil {
		t.Fatalf("no CSRF token on /sign-in (%d):\n%s", res.StatusCode, form)
	}
	res, err = browser.PostForm(base+"/sign-in", url.Values{"_csrf": {string(csrf[1])}, "identifier": {"user0@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	time.Sleep(100 * time.Millisecond) // the request's lines are written after its answer
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(page), "Something interrupted this request.") {
		t.Errorf("signing in on a full disk: %d, want 503 and the interrupted page:\n%s", res.StatusCode, page)
	}
	rid := res.Header.Get("X-Request-Id")
	var logged bool
	for _, line := range strings.Split(log.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["request_id"] != rid || m["msg"] == "request" {
			continue
		}
		msg, _ := m["msg"].(string)
		logged = m["level"] == "ERROR" && strings.Contains(msg, "disk is full") && strings.Contains(msg, "free space")
	}
	if !logged {
		t.Errorf("request %s is not logged as an error saying the disk is full and what to do:\n%s", rid, log.String())
	}
	if strings.Contains(log.String(), "internal error") {
		t.Errorf("a full disk is logged as an internal error:\n%s", log.String())
	}

	// Space is freed: writes go through again, the portal not restarted.
	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "/readyz ready after the space was freed", func() bool {
		status, _ := getText(t, base+"/readyz")
		return status == http.StatusOK
	})
	eventually(t, "a write after the space was freed", func() bool {
		n++
		return createUser(n).StatusCode == http.StatusOK
	})
	res, err = browser.PostForm(base+"/sign-in", url.Values{"_csrf": {string(csrf[1])}, "identifier": {"user0@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("signing in after the space was freed: %d, want 303 to the password step", res.StatusCode)
	}
}

// getText answers a GET of url with its status and body.
func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
