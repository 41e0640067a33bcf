package store_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/portalhq/portal/internal/store"
)

// A SQLite database in a directory the portal's user may not write (one
// made by root for a service that runs as another user) is refused with
// that user and the fix, not SQLite's "unable to open database file".
// Root may write anywhere, so as root the check runs in a copy of this
// test binary started as nobody.
func TestSQLiteInADirectoryItMayNotWriteSaysWhoAndHow(t *testing.T) {
	dir := os.Getenv("PORTAL_TEST_UNWRITABLE_DIR")
	if dir == "" {
		dir = t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		shut := filepath.Join(dir, "shut")
		if err := os.Mkdir(shut, 0o555); err != nil {
			t.Fatal(err)
		}
		if os.Getuid() == 0 {
			asNobody(t, dir, shut)
			return
		}
		dir = shut
	}
	for _, path := range []string{filepath.Join(dir, "portal.db"), filepath.Join(dir, "data", "portal.db")} {
		s, err := store.Open(context.Background(), "sqlite:"+path)
		if err == nil {
			s.Close()
			t.Fatalf("Open(sqlite:%s) succeeded in a directory its user may not write", path)
		}
		for _, want := range []string{"may not write in", "chown", "PORTAL_DATABASE_URL", "permission denied"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("sqlite:%s: error %q does not contain %q", path, err, want)
			}
		}
	}
}

// asNobody runs the test above in a copy of this binary, put where nobody
// may read it, as nobody, on shut.
func asNobody(t *testing.T, dir, shut string) {
	bin := filepath.Join(dir, "store.test")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	// The temporary directory's parents are its owner's only.
	for d := filepath.Dir(dir); d != os.TempDir() && d != filepath.Dir(d); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run=^TestSQLiteInADirectoryItMayNotWriteSaysWhoAndHow$", "-test.count=1")
	cmd.Env = []string{"PORTAL_TEST_UNWRITABLE_DIR=" + shut, "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Errorf("as nobody: %v\n%s", err, out)
	}
}
