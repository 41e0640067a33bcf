package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func envOf(m map[string]string) (func(string) string, []string) {
	var environ []string
	for k, v := range m {
		environ = append(environ, k+"="+v)
	}
	return func(k string) string { return m[k] }, environ
}

func TestMigrateAppliesToAFreshDatabase(t *testing.T) {
	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db"})
	var out bytes.Buffer
	for range 2 { // twice: migrations are idempotent
		out.Reset()
		if err := run(context.Background(), []string{"migrate"}, getenv, environ, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), "migrations applied to sqlite") {
		t.Fatalf("output = %q", out.String())
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	settings := map[string]string{
		"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/p.db",
		"PORTAL_ADDR":         addr,
		"PORTAL_BASE_URL":     "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:],
	}
	getenv, environ := envOf(settings)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() { done <- run(ctx, nil, getenv, environ, io.Discard, &logs) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := "http://" + addr
	waitFor(t, base+"/readyz")
	// No GOGC or GOMEMLIMIT in this environment: serve paces the collector
	// for the hash slots (one per CPU).
	want := planGC(getenv, runtime.NumCPU(), 19<<20, cgroupMemoryMax())
	if p, l := gcSettings(); p != 200 || l != want.Limit {
		t.Errorf("serving: GOGC %d, memory limit %d; want 200, %d", p, l, want.Limit)
	}
	if !strings.Contains(logs.String(), "/sign-in") || !strings.Contains(logs.String(), "sk_test_") {
		t.Errorf("start-up log should print the URL to open and the secret key:\n%s", logs.String())
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
	getenv2, environ2 := envOf(settings2)
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- run(ctx2, []string{"serve"}, getenv2, environ2, io.Discard, io.Discard) }()
	defer func() { cancel2(); <-done2 }()
	waitFor(t, "http://"+addr2+"/readyz")
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
