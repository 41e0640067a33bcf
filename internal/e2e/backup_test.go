package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// portal backup while people sign up and the Backend API writes, then the
// README's restore (stop, put the copy in place of the database, delete
// the -wal and -shm files, start): the restored portal opens, holds every
// account made before the backup began, each whole, and those people —
// one still signed in from before, others made under the load — sign in.
func TestBackupUnderWriteLoadRestoresToAWorkingPortal(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "portal.db")
	backup := filepath.Join(dir, "backups", "portal-1.db")
	env := map[string]string{
		"PORTAL_DATABASE_URL":  "sqlite:" + dbPath,
		"PORTAL_SECRET_KEY":    "sk_test_" + strings.Repeat("b", 40),
		"PORTAL_COOKIE_SECRET": strings.Repeat("k", 64),
	}
	var (
		ada       *browser
		mu        sync.Mutex
		madeFirst []string // accounts whose creation was answered before the backup began
	)
	t.Run("backup while writing", func(t *testing.T) {
		p := portaltest.Start(t, portaltest.Options{Env: env})
		apiUser(t, p, "ada@example.com")
		ada = newBrowser(t, p)
		signIn(t, ada, "ada@example.com", goodPassword, "")

		var (
			wg      sync.WaitGroup
			stop    = make(chan struct{})
			started time.Time
			failed  []string
		)
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					email := fmt.Sprintf("load-%d-%d@example.com", w, i)
					r := apiCall(t, p, http.MethodPost, "/v1/users", "Bearer "+p.SecretKey, map[string]any{
						"email_address": []string{email}, "password": goodPassword, "first_name": "Load"})
					mu.Lock()
					if r.Status != http.StatusOK {
						failed = append(failed, fmt.Sprintf("%s: %d %s", email, r.Status, r.Body))
					} else if started.IsZero() {
						madeFirst = append(madeFirst, email)
					}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		started = time.Now()
		mu.Unlock()
		err := store.Backup(t.Context(), env["PORTAL_DATABASE_URL"], backup)
		time.Sleep(200 * time.Millisecond) // the load goes on past the backup
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatalf("backup under write load: %v", err)
		}
		if len(failed) > 0 {
			t.Errorf("%d writes failed during the backup, e.g. %s", len(failed), failed[0])
		}
		if len(madeFirst) < 3 {
			t.Fatalf("only %d accounts made before the backup: no load to speak of", len(madeFirst))
		}
	}) // the portal stops here

	// Restore as the README says.
	copied, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, copied, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{dbPath + "-wal", dbPath + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	p := portaltest.Start(t, portaltest.Options{Env: env})
	var check string
	if err := p.Store.DB().QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity of the restored database: %q, %v", check, err)
	}
	for _, email := range madeFirst {
		var users []struct {
			FirstName      string `json:"first_name"`
			EmailAddresses []struct {
				EmailAddress string `json:"email_address"`
			} `json:"email_addresses"`
			PasswordEnabled bool `json:"password_enabled"`
		}
		api(t, p, http.MethodGet, "/v1/users?email_address="+email, nil, &users)
		if len(users) != 1 || users[0].FirstName != "Load" || len(users[0].EmailAddresses) != 1 || !users[0].PasswordEnabled {
			t.Fatalf("%s, made before the backup, in the restored portal: %+v", email, users)
		}
	}

	ada.base = newBrowser(t, p).base
	if pg := ada.getRaw("/user"); pg.Status != http.StatusOK || !strings.Contains(pg.text(), "ada@example.com") {
		t.Errorf("/user of the person signed in before the backup: %d to %q, want the account page", pg.Status, pg.Header.Get("Location"))
	}
	for _, email := range []string{"ada@example.com", madeFirst[len(madeFirst)-1]} {
		wantHandBack(t, signIn(t, newBrowser(t, p), email, goodPassword, appURL), http.StatusSeeOther, appURL)
	}
}

// The README's PostgreSQL backup and restore: pg_dump while the portal
// runs, then, with it stopped, pg_restore --clean --if-exists over the
// database as it has become since. The restored portal has the accounts
// of the backup and not those made after it, and its people, one still
// signed in from before, sign in.
func TestPostgresBackupRestoresWithPgDumpAndPgRestore(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian: postgresql-client)", tool)
		}
	}
	dbURL := pgtest.URL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	// pg_dump takes libpq's settings, not the portal's search_path.
	q := u.Query()
	q.Del("search_path")
	q.Del("application_name")
	u.RawQuery = q.Encode()
	toolURL := u.String()
	dump := filepath.Join(t.TempDir(), "portal.dump")
	env := map[string]string{
		"PORTAL_DATABASE_URL":  dbURL,
		"PORTAL_SECRET_KEY":    "sk_test_" + strings.Repeat("p", 40),
		"PORTAL_COOKIE_SECRET": strings.Repeat("q", 64),
	}
	var ada *browser
	t.Run("backup", func(t *testing.T) {
		p := portaltest.Start(t, portaltest.Options{Env: env})
		apiUser(t, p, "ada@example.com")
		apiUser(t, p, "grace@example.com")
		ada = newBrowser(t, p)
		signIn(t, ada, "ada@example.com", goodPassword, "")
		if out, err := exec.Command("pg_dump", "--format=custom", "--schema="+schema, "--file="+dump, toolURL).CombinedOutput(); err != nil {
			t.Fatalf("pg_dump: %v\n%s", err, out)
		}
		apiUser(t, p, "late@example.com")
	})
	if out, err := exec.Command("pg_restore", "--clean", "--if-exists", "--dbname="+toolURL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	p := portaltest.Start(t, portaltest.Options{Env: env})
	for email, want := range map[string]int{"ada@example.com": 1, "grace@example.com": 1, "late@example.com": 0} {
		var users []struct{ ID string }
		api(t, p, http.MethodGet, "/v1/users?email_address="+email, nil, &users)
		if len(users) != want {
			t.Errorf("%s in the restored portal: %d accounts, want %d", email, len(users), want)
		}
	}
	ada.base = newBrowser(t, p).base
	if pg := ada.getRaw("/user"); pg.Status != http.StatusOK || !strings.Contains(pg.text(), "ada@example.com") {
		t.Errorf("/user of the person signed in before the backup: %d to %q, want the account page", pg.Status, pg.Header.Get("Location"))
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "grace@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}
