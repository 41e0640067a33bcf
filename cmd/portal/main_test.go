package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/store"
)

func envOf(m map[string]string) (func(string) string, []string) {
	var environ []string
	for k, v := range m {
		environ = append(environ, k+"="+v)
	}
	return func(k string) string { return m[k] }, environ
}

// portal migrate says which migrations it applied, and when there were
// none, that the database was up to date (before, it said "migrations
// applied" either way).
func TestMigrateSaysWhatItApplied(t *testing.T) {
	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db"})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, getenv, environ, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(os.DirFS("../../internal/store/migrations/sqlite"), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	if want := fmt.Sprintf("applied %d migrations to the sqlite database:\n", len(files)); !strings.HasPrefix(out.String(), want) {
		t.Errorf("first migrate said %q, want it to begin %q", out.String(), want)
	}
	for _, f := range files {
		if !strings.Contains(out.String(), "\n  "+f+"\n") {
			t.Errorf("first migrate does not name %s:\n%s", f, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate"}, getenv, environ, &out, io.Discard); err != nil {
		t.Fatal(err) // again: migrations are idempotent
	}
	if out.String() != "the sqlite database is up to date: no migrations to apply\n" {
		t.Errorf("second migrate said %q", out.String())
	}
}

// portal backup FILE copies the configured SQLite database; it asks for a
// file and never writes over one.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + dir + "/p.db"})
	if err := run(context.Background(), []string{"migrate"}, getenv, environ, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	to := dir + "/backup.db"
	if err := run(context.Background(), []string{"backup", to}, getenv, environ, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "backup written to "+to) {
		t.Errorf("output = %q", out.String())
	}
	if fi, err := os.Stat(to); err != nil || fi.Size() == 0 {
		t.Fatalf("backup file: %v, %v", fi, err)
	}
	if err := run(context.Background(), []string{"backup", to}, getenv, environ, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "exists already") {
		t.Errorf("second backup to the same file: %v, want it refused", err)
	}
	if err := run(context.Background(), []string{"backup"}, getenv, environ, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "usage: portal backup FILE") {
		t.Errorf("backup with no file: %v, want the usage", err)
	}
}

func TestBadConfigurationNamesTheKey(t *testing.T) {
	getenv, environ := envOf(map[string]string{"PORTAL_BASEURL": "http://x"})
	err := run(context.Background(), []string{"serve"}, getenv, environ, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_BASEURL") || !strings.Contains(err.Error(), "PORTAL_BASE_URL") {
		t.Fatalf("err = %v, want it to name PORTAL_BASEURL and suggest PORTAL_BASE_URL", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, getenv, nil, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "portal help") {
		t.Fatalf("unknown command: err = %v", err)
	}
}

// PORTAL_WEBHOOK_URL on the developer's own machine stops start-up, as
// REQ-WH-06 asks, with the setting that allows it: a refusal that names the
// key and the fix (the README's promise for every bad value).
func TestWebhookURLOnLocalhostSaysHowToAllowIt(t *testing.T) {
	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db",
		"PORTAL_ADDR": "127.0.0.1:0", "PORTAL_WEBHOOK_URL": "http://localhost:3000/webhooks"})
	// Were the URL accepted, the portal would serve until the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, getenv, environ, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_WEBHOOK_URL") ||
		!strings.Contains(err.Error(), "PORTAL_WEBHOOK_ALLOW_PRIVATE=true") {
		t.Fatalf("err = %v, want it to name PORTAL_WEBHOOK_URL and PORTAL_WEBHOOK_ALLOW_PRIVATE=true", err)
	}
}

// TestServeThenRotateKeys starts the real server with no configuration but a
// database and address, signs nothing, stages a new key from a second
// command, and sees both keys published (REQ-JWT-07); --now rotates at once.
func TestServeThenRotateKeys(t *testing.T) {
	restoreGC(t)
	addr, settings := serveSettings(t)
	getenv, environ := envOf(settings)
	logs := serveUntilEnd(t, addr, settings)
	base := "http://" + addr
	// No GOGC or GOMEMLIMIT in this environment: serve paces the collector
	// for the hash slots (one per CPU).
	want := planGC(getenv, runtime.NumCPU(), 19<<20, cgroupMemoryMax())
	if p, l := gcSettings(); p != 200 || l != want.Limit {
		t.Errorf("serving: GOGC %d, memory limit %d; want 200, %d", p, l, want.Limit)
	}
	if !strings.Contains(logs.String(), "/sign-in") || !strings.Contains(logs.String(), "sk_test_") {
		t.Errorf("start-up log should print the URL to open and the secret key:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "/dev/outbox") || strings.Contains(logs.String(), "PORTAL_BASE_URL is") {
		t.Errorf("start-up log should point at the dev outbox, and not warn of a base URL that matches:\n%s", logs.String())
	}
	if n := len(jwksKIDs(t, base)); n != 1 {
		t.Fatalf("JWKS has %d keys before rotation, want 1", n)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "rotate"}, getenv, environ, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "new signing key") || !strings.Contains(out.String(), "signs from") {
		t.Fatalf("rotate output = %q; want the staged key and when it signs", out.String())
	}
	// The running server picks the new key up at its next reload (every
	// minute); a second process on the same database sees it at once.
	settings2 := map[string]string{}
	for k, v := range settings {
		settings2[k] = v
	}
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	addr2 := l2.Addr().String()
	l2.Close()
	settings2["PORTAL_ADDR"] = addr2
	serveUntilEnd(t, addr2, settings2)
	if n := len(jwksKIDs(t, "http://"+addr2)); n != 2 {
		t.Fatalf("JWKS after rotation has %d keys, want the new and the old one", n)
	}
	// --now, for a key thought compromised, switches at once.
	out.Reset()
	if err := run(context.Background(), []string{"keys", "rotate", "--now"}, getenv, environ, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "is active now") {
		t.Fatalf("rotate --now output = %q", out.String())
	}
}

func jwksKIDs(t *testing.T, base string) []string {
	t.Helper()
	res, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
			Alg string `json:"alg"`
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k.KID == "" || k.Alg != "RS256" || k.Use != "sig" {
			t.Fatalf("key without kid/alg/use: %+v", k)
		}
		kids = append(kids, k.KID)
	}
	return kids
}

func waitFor(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", url)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A development portal started on another port than its base URL's (only
// PORTAL_ADDR changed) says which PORTAL_BASE_URL to set, and one whose
// mail goes to an SMTP server does not send people to a dev outbox it
// does not serve.
func TestServeSaysWhatTheDevelopmentSettingsLeadTo(t *testing.T) {
	restoreGC(t)
	addr, settings := serveSettings(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	delete(settings, "PORTAL_BASE_URL") // left at its default, on port 4000: what this test is about
	settings["PORTAL_SMTP_URL"] = "smtp://127.0.0.1:1"
	dir := t.TempDir()
	t.Chdir(dir)
	settings["PORTAL_DATABASE_URL"] = "sqlite:data/p.db"
	logs := serveUntilEnd(t, addr, settings)
	if want := "set PORTAL_BASE_URL=http://localhost:" + port; !strings.Contains(logs.String(), want) {
		t.Errorf("start-up log does not say %q:\n%s", want, logs.String())
	}
	if strings.Contains(logs.String(), "/dev/outbox") {
		t.Errorf("start-up log points at the dev outbox while mail goes to SMTP:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "sk_test_") {
		t.Errorf("start-up log no longer prints the generated secret key:\n%s", logs.String())
	}
	// Which database, the file by its whole path: a relative
	// PORTAL_DATABASE_URL is found from the working directory.
	if want := "database_at=sqlite:" + filepath.Join(dir, "data", "p.db"); !strings.Contains(logs.String(), want) {
		t.Errorf("start-up log does not say %q:\n%s", want, logs.String())
	}
	if !strings.Contains(logs.String(), "version=") || !strings.Contains(logs.String(), "go="+runtime.Version()) {
		t.Errorf("start-up log does not say which portal and Go version this is:\n%s", logs.String())
	}
	res, err := http.Get("http://" + addr + "/dev/outbox")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/dev/outbox with SMTP: %d, want 404", res.StatusCode)
	}
}

// portal version says which portal this is: the module version and the
// commit Go stamped at build time, and the Go version.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, nil, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "portal ") || !strings.HasSuffix(out.String(), "built with "+runtime.Version()+"\n") {
		t.Errorf("portal version = %q", out.String())
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Version: "v0.0.0-20261127220514-2e721e4fd316+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "2e721e4fd316be50ca07814c600b0ce1c0b63f6e"},
			{Key: "vcs.time", Value: "2026-11-27T22:05:14Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := readVersion(info, true).String(), "portal v0.0.0-20261127220514-2e721e4fd316+dirty, commit "+
		"2e721e4fd316be50ca07814c600b0ce1c0b63f6e of 2026-11-27T22:05:14Z with uncommitted changes, built with go1.26.10"; got != want {
		t.Errorf("stamped build: %q, want %q", got, want)
	}
	info = &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Version: "(devel)"}}
	if got, want := readVersion(info, true).String(), "portal (devel), built with go1.26.10"; got != want {
		t.Errorf("build without version control: %q, want %q", got, want)
	}
	// make build in a git worktree: Go could not read the repository, the
	// Makefile stamped git describe's name.
	if got, want := readVersion(info, true).stamped("v1.4.0-3-g2e721e4-dirty").String(),
		"portal v1.4.0-3-g2e721e4-dirty, built with go1.26.10"; got != want {
		t.Errorf("stamped build: %q, want %q", got, want)
	}
	if got := readVersion(info, true).stamped(""); got.Module != "(devel)" {
		t.Errorf("nothing stamped: version %q, want Go's", got.Module)
	}
}

// make build and make run stamp git describe's name for the tree with
// -ldflags "-X main.version=…", which `portal version` then prints even
// where Go says (devel): in this git worktree, with -buildvcs=false. Where
// there is no .git (a tarball), they stamp nothing and Go's version
// stands. The binary is built for real, so a renamed variable that the
// linker would silently not set fails here.
func TestMakeBuildStampsTheVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	makeCmd, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dry := func(dir string) string {
		cmd := exec.Command(makeCmd, "-n", "-s", "-f", filepath.Join(root, "Makefile"), "build")
		cmd.Dir = dir
		// The Makefile's own VERSION, not one this environment may give.
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "VERSION=") })
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n build in %s: %v\n%s", dir, err, out)
		}
		return string(out)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err == nil {
		if git, err := exec.LookPath("git"); err == nil {
			cmd := exec.Command(git, "describe", "--tags", "--always", "--dirty")
			cmd.Dir = root
			described, err := cmd.Output()
			if err != nil {
				t.Fatalf("git describe: %v", err)
			}
			want := `-ldflags "-X main.version=` + strings.TrimSpace(string(described)) + `"`
			if got := dry(root); !strings.Contains(got, want) {
				t.Errorf("make build in the checkout runs %q, want it to pass %s", got, want)
			}
		}
	}
	if got := dry(t.TempDir()); strings.Contains(got, "-ldflags") || !strings.Contains(got, "build") {
		t.Errorf("make build without .git runs %q, want a plain go build", got)
	}
	// The binary `make build` gives (and `make bench` measures) is static: a
	// cgo build maps libc and the dynamic loader, about 5 MB of idle RSS.
	if got := dry(t.TempDir()); !strings.HasPrefix(strings.TrimSpace(got), "CGO_ENABLED=0 ") {
		t.Errorf("make build runs %q, want it to build with CGO_ENABLED=0", got)
	}

	bin := filepath.Join(t.TempDir(), "portal")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	build := exec.Command(goCmd, "build", "-buildvcs=false", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "portal v9.8.7-test, built with go") {
		t.Errorf("portal version of a stamped build: %q", out)
	}
}

// Asking for help, however it is asked, prints the commands and the
// settings and succeeds: a script or a person typing --help is not told
// "flag: help requested" with exit status 1.
func TestHelpListsTheCommandsAndSucceeds(t *testing.T) {
	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db"})
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"serve", "-h"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, getenv, environ, &out, io.Discard); err != nil {
			t.Errorf("portal %s: %v, want success", strings.Join(args, " "), err)
		}
		for _, want := range []string{"migrate ", "backup FILE", "keys rotate", "--now", "version ", "--base-url", "PORTAL_BASE_URL"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("portal %s does not mention %q:\n%s", strings.Join(args, " "), want, out.String())
			}
		}
	}
}

// A command that uses only the database says so in its help, with its own
// usage, instead of the hundred settings of portal serve, which had an
// operator writing a migration job think it needed them all; its help
// succeeds however it is asked for (portal backup --help and portal keys
// --help answered "usage: …" with exit status 1).
func TestDatabaseCommandsHelpNamesOnlyTheDatabaseURL(t *testing.T) {
	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db"})
	for _, c := range []struct {
		args  []string
		usage string
	}{
		{[]string{"migrate", "--help"}, "usage: portal migrate "},
		{[]string{"backup", "--help"}, "usage: portal backup FILE "},
		{[]string{"backup", "-h"}, "usage: portal backup FILE "},
		{[]string{"keys", "--help"}, "usage: portal keys rotate [--now] "},
		{[]string{"keys", "rotate", "-h"}, "usage: portal keys rotate [--now] "},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), c.args, getenv, environ, &out, io.Discard); err != nil {
			t.Errorf("portal %s: %v, want success", strings.Join(c.args, " "), err)
		}
		if got := out.String(); !strings.HasPrefix(got, c.usage) || !strings.Contains(got, "uses only PORTAL_DATABASE_URL") ||
			strings.Contains(got, "PORTAL_SMTP_URL") {
			t.Errorf("portal %s printed:\n%s\nwant its usage and that it uses only PORTAL_DATABASE_URL", strings.Join(c.args, " "), got)
		}
	}
}

// On SIGTERM (ctx ending) the portal stops taking connections, lets a
// request in flight finish and answers it, says so in the log, and ends
// without error; a request still running when the grace period (the write
// timeout, after which no answer could be written anyway) is over is cut
// off with a warning, and the portal still stops cleanly.
func TestShutdownLetsRequestsInFlightFinish(t *testing.T) {
	restoreGC(t)
	for _, finish := range []bool{true, false} {
		addr, settings := serveSettings(t)
		settings["PORTAL_WRITE_TIMEOUT"], settings["PORTAL_READ_TIMEOUT"] = "2s", "30s"
		settings["PORTAL_LOG_FORMAT"] = "json"
		getenv, environ := envOf(settings)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var logs syncBuffer
		go func() { done <- run(ctx, nil, getenv, environ, io.Discard, &logs) }()
		waitFor(t, "http://"+addr+"/readyz")

		// A request whose body is still on its way when the signal comes.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		body := "identifier=ada%40example.com"
		fmt.Fprintf(conn, "POST /sign-in HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body[:5])
		time.Sleep(200 * time.Millisecond) // the server has read the headers
		stopped := time.Now()
		cancel()
		time.Sleep(200 * time.Millisecond)
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("finish=%v: a new connection was taken after the signal", finish)
		}
		var answer []byte
		if finish {
			fmt.Fprint(conn, body[5:])
			answer, _ = io.ReadAll(conn)
		}
		if err := <-done; err != nil {
			t.Errorf("finish=%v: serve ended with %v, want a clean stop", finish, err)
		}
		took := time.Since(stopped)
		conn.Close()
		if finish {
			// Refused for want of a CSRF token: an answer all the same.
			if !bytes.HasPrefix(answer, []byte("HTTP/1.1 403")) {
				t.Errorf("the request in flight got %q, want its answer", answer)
			}
			if strings.Contains(logs.String(), "cut off") {
				t.Errorf("a request that finished is logged as cut off:\n%s", logs.String())
			}
		} else {
			if took < 2*time.Second || took > 5*time.Second {
				t.Errorf("stopped %v after the signal, want the 2 s grace period", took)
			}
			if !strings.Contains(logs.String(), "cut off") {
				t.Errorf("a request cut off at the end of the grace period is not logged:\n%s", logs.String())
			}
		}
		// The grace period as a person writes it, not "grace":2000000000.
		for _, want := range []string{"shutting down", `"grace":"2s"`, "stopped"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("finish=%v: the log does not say %q:\n%s", finish, want, logs.String())
			}
		}
	}
}

// With PORTAL_SHUTDOWN_DELAY, SIGTERM does not close the door at once: a
// load balancer or a Kubernetes Service goes on routing requests here for a
// few seconds. First /readyz answers 503 "shutting down", so the balancer
// takes the machine out, while pages are still served on new connections
// and /healthz stays 200 (the process is well: no restart); then, when the
// delay is over, the graceful shutdown runs as before. A second SIGTERM
// during the delay ends it at once (a person pressing Ctrl-C again, an
// orchestrator that will not wait).
func TestShutdownDelayKeepsServingWhileReadyzSaysShuttingDown(t *testing.T) {
	restoreGC(t)
	start := func(t *testing.T, ctx context.Context, delay string) (base string, logs *syncBuffer, done chan error) {
		addr, settings := serveSettings(t)
		settings["PORTAL_SHUTDOWN_DELAY"] = delay
		getenv, environ := envOf(settings)
		logs, done = &syncBuffer{}, make(chan error, 1)
		go func() { done <- run(ctx, nil, getenv, environ, io.Discard, logs) }()
		waitFor(t, "http://"+addr+"/readyz")
		return "http://" + addr, logs, done
	}
	// Each request on a connection of its own: the listener still takes them.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		res, err := fresh.Get(url)
		if err != nil {
			t.Fatalf("GET %s while shutting down: %v", url, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// draining waits for /readyz to turn 503 and checks what is served then.
	draining := func(t *testing.T, base string, done chan error) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			status, body := get(t, base+"/readyz")
			if status == http.StatusServiceUnavailable {
				if body != "shutting down" {
					t.Errorf("/readyz while shutting down: %q, want it to say so", body)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz still %d %q after the signal", status, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if status, body := get(t, base+"/healthz"); status != http.StatusOK || body != "ok" {
			t.Errorf("/healthz during the shutdown delay: %d %q, want 200 ok", status, body)
		}
		if status, body := get(t, base+"/sign-in"); status != http.StatusOK || !strings.Contains(body, "<form") {
			t.Errorf("/sign-in during the shutdown delay: %d, want the page", status)
		}
		select {
		case err := <-done:
			t.Fatalf("the portal stopped (%v) while /readyz said it was only shutting down", err)
		default:
		}
	}
	stopped := func(t *testing.T, base string, logs *syncBuffer, done chan error, within time.Duration, says ...string) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve ended with %v, want a clean stop", err)
			}
		case <-time.After(within):
			t.Fatalf("still serving %v after the delay should have ended:\n%s", within, logs.String())
		}
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
			c.Close()
			t.Errorf("a connection was taken after the portal stopped")
		}
		for _, want := range append(says, "PORTAL_SHUTDOWN_DELAY", "no new connections", "stopped") {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("the log does not say %q:\n%s", want, logs.String())
			}
		}
	}

	t.Run("the delay runs out", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		base, logs, done := start(t, ctx, "3s")
		cancel() // SIGTERM, as main makes it
		draining(t, base, done)
		stopped(t, base, logs, done, 30*time.Second)
		if strings.Contains(logs.String(), "second signal") {
			t.Errorf("the log speaks of a second signal that never came:\n%s", logs.String())
		}
	})

	t.Run("a second SIGTERM ends it", func(t *testing.T) {
		// Real signals, caught as main catches them; the delay is longer
		// than the test waits, so only the second signal can end it.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		base, logs, done := start(t, ctx, "10m")
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		draining(t, base, done)
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		stopped(t, base, logs, done, 30*time.Second, "second signal")
	})
}

// serveSettings returns a free loopback address and what a test portal
// needs to serve there: a database of its own, the address, and a base URL
// on localhost at that port. Callers add their own settings.
func serveSettings(t *testing.T) (addr string, settings map[string]string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	return addr, map[string]string{
		"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db",
		"PORTAL_ADDR":         addr,
		"PORTAL_BASE_URL":     "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:],
	}
}

// serveUntilEnd runs `portal serve` with settings until the test ends, from when
// its /readyz at addr answers, and returns what it logs.
func serveUntilEnd(t *testing.T, addr string, settings map[string]string) *syncBuffer {
	t.Helper()
	getenv, environ := envOf(settings)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() { done <- run(ctx, nil, getenv, environ, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitFor(t, "http://"+addr+"/readyz")
	return logs
}

// A portal started on a database a newer Portal has migrated (an older
// binary after a rollback) says so — portal migrate and serve alike —
// and what to do, and goes on serving.
func TestOlderPortalOnANewerDatabaseSaysSo(t *testing.T) {
	restoreGC(t)
	addr, settings := serveSettings(t)
	getenv, environ := envOf(settings)
	if err := run(context.Background(), []string{"migrate"}, getenv, environ, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), settings["PORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	if db, _ := st.Newer(); db != 0 {
		t.Errorf("a database this portal migrated is newer: %d", db)
	}
	if _, err := st.DB().Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, getenv, environ, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "warning: the database has migrations up to 99999") ||
		!strings.Contains(out.String(), "restore the backup taken before the upgrade") {
		t.Errorf("portal migrate on a newer database said %q", out.String())
	}

	logs := serveUntilEnd(t, addr, settings)
	if !strings.Contains(logs.String(), "migrated by a newer Portal") || !strings.Contains(logs.String(), "database_migration=99999") {
		t.Errorf("start-up log does not say the database is newer:\n%s", logs.String())
	}
}

// portal migrate, keys rotate and backup, given a flag they do not know,
// point at their own help, which lists what they take.
func TestUnknownFlagOfADatabaseCommandPointsAtItsHelp(t *testing.T) {
	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db"})
	for args, want := range map[string]string{
		"migrate --zzzzzzzzzz":       "see portal migrate --help",
		"keys rotate --zzzzzzzzzz":   "see portal keys rotate --help",
		"backup out.db --zzzzzzzzzz": "see portal backup --help",
		"serve --zzzzzzzzzz":         "see portal serve --help",
	} {
		err := run(t.Context(), strings.Fields(args), getenv, environ, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("portal %s: %v, want %q", args, err, want)
		}
	}
}
