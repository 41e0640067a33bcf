package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/app"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// oldPortalCommit is the Portal an upgrade starts from: the first one with
// an "Operating it" section (2026-11-26, migrations up to 00020). Every
// migration since runs on a database it made.
const oldPortalCommit = "dceb0a6"

// An operator upgrades by starting today's binary on the database an older
// Portal made, with the same secrets: it migrates, and everyone stays
// signed in — the browser's session goes on (the account page opens, an
// app is handed a token for the same session), a token the old portal
// signed still verifies against the JWKS, and people sign in with the
// passwords they set before.
func TestUpgradeFromAnOlderPortalKeepsEveryoneSignedIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an older Portal (about 20 s the first time)")
	}
	bin := oldPortal(t)
	t.Run("sqlite", func(t *testing.T) {
		upgradeFrom(t, bin, "sqlite:"+filepath.Join(t.TempDir(), "portal.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		upgradeFrom(t, bin, pgtest.URL(t))
	})
}

func upgradeFrom(t *testing.T, bin, dbURL string) {
	secret := "sk_test_" + strings.Repeat("u", 40)
	cookieSecret := strings.Repeat("c", 64)
	old := startOldPortal(t, bin, map[string]string{
		"PORTAL_DATABASE_URL":  dbURL,
		"PORTAL_SECRET_KEY":    secret,
		"PORTAL_COOKIE_SECRET": cookieSecret,
	})
	apiUser(t, old.Portal, "ada@example.com")
	apiUser(t, old.Portal, "grace@example.com")
	ada := newBrowser(t, old.Portal)
	oldToken := wantHandBack(t, signIn(t, ada, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	before, oldKid := verify(t, old.Portal, oldToken)
	old.stop(t)

	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_DATABASE_URL":  dbURL,
		"PORTAL_SECRET_KEY":    secret,
		"PORTAL_COOKIE_SECRET": cookieSecret,
	}})
	ada.base = newBrowser(t, p).base // the same browser, its cookies, at today's portal

	if _, kid := verify(t, p, oldToken); kid != oldKid {
		t.Errorf("the old token's key %s verifies as %s", oldKid, kid)
	}
	if pg := ada.getRaw("/user"); pg.Status != http.StatusOK || !strings.Contains(pg.text(), "ada@example.com") {
		t.Fatalf("/user after the upgrade: %d to %q, want the account page of the signed-in person:\n%s",
			pg.Status, pg.Header.Get("Location"), pg.text())
	}
	after, _ := verify(t, p, wantHandBack(t, ada.getRaw(withRedirect("/sign-in", appURL)), http.StatusSeeOther, appURL))
	if after.SID != before.SID || after.Subject != before.Subject {
		t.Errorf("after the upgrade the app is handed session %s of %s, want %s of %s", after.SID, after.Subject, before.SID, before.Subject)
	}
	if sid := activeSessionOf(t, p, "ada@example.com"); sid != before.SID {
		t.Errorf("the active session is %s, want the one from before the upgrade, %s", sid, before.SID)
	}

	grace := newBrowser(t, p)
	wantHandBack(t, signIn(t, grace, "grace@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// oldProcess is an older Portal's binary serving on loopback.
type oldProcess struct {
	*portaltest.Portal
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan error
}

// startOldPortal runs bin with env added to a development portal's
// settings, and waits until it answers /readyz.
func startOldPortal(t *testing.T, bin string, env map[string]string) *oldProcess {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	base := fmt.Sprintf("http://localhost:%d", l.Addr().(*net.TCPAddr).Port)
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"),
		"PORTAL_ADDR=" + addr, "PORTAL_BASE_URL=" + base}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	o := &oldProcess{cmd: cmd, log: new(bytes.Buffer), done: make(chan error, 1),
		Portal: &portaltest.Portal{Portal: &app.Portal{SecretKey: env["PORTAL_SECRET_KEY"]}, URL: base}}
	cmd.Stdout, cmd.Stderr = o.log, o.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { o.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-o.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-o.done:
			t.Fatalf("the older portal stopped: %v\n%s", err, o.log)
		default:
		}
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return o
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the older portal is not ready after 20 s:\n%s", o.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the older portal as an operator does before an upgrade.
func (o *oldProcess) stop(t *testing.T) {
	t.Helper()
	if err := o.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-o.done:
		if err != nil {
			t.Fatalf("the older portal stopped with %v:\n%s", err, o.log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the older portal did not stop:\n%s", o.log)
	}
}

// oldPortal builds Portal at oldPortalCommit once, into the test cache
// `make test` uses ($XDG_CACHE_HOME/portal-test, else ~/.cache/portal-test),
// and returns the binary. It needs this repository's git history.
func oldPortal(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no cache directory for the older Portal's binary (set HOME or XDG_CACHE_HOME): %v", err)
	}
	bin := filepath.Join(cache, "portal-test", "old-portal", oldPortalCommit, "portal")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if out, err := exec.Command("git", "cat-file", "-e", oldPortalCommit+"^{commit}").CombinedOutput(); err != nil {
		t.Fatalf("commit %s, the older Portal this test upgrades from, is not in this checkout (a shallow clone or a tarball): %v %s\n"+
			"fetch the history (`git fetch --unshallow`, which `make deps` tries), or run the suite from a full clone", oldPortalCommit, err, out)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse --show-toplevel: %v", err)
	}
	src := t.TempDir()
	archive := exec.Command("git", "archive", oldPortalCommit)
	archive.Dir = strings.TrimSpace(string(top)) // from a folder it would take that folder only
	untar := exec.Command("tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	untar.Stdin = pipe
	if err := untar.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	archive.Stderr = &stderr
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive %s: %v %s", oldPortalCommit, err, &stderr)
	}
	if err := untar.Wait(); err != nil {
		t.Fatalf("unpack %s: %v", oldPortalCommit, err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := bin + fmt.Sprintf(".%d", os.Getpid())
	build := exec.Command("go", "build", "-o", tmp, "./cmd/portal")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build Portal %s: %v\n%s", oldPortalCommit, err, out)
	}
	// Renamed into place whole: test binaries of other packages may look
	// for it at the same time.
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}
