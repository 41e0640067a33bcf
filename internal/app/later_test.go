package app

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// Work asked for after Close has begun is not started against the closing
// store (a request still running when Serve's shutdown gives up can ask).
func TestLaterAfterCloseStartsNothing(t *testing.T) {
	p := build(t, filepath.Join(t.TempDir(), "p.db"), clockwork.NewFakeClock())
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	p.Later(context.Background(), func(ctx context.Context) error {
		_, err := p.Store.Q.EventsOfObject(ctx, "user_x")
		ran <- err
		return err
	})
	select {
	case err := <-ran:
		t.Errorf("work started after Close ran against the closed store: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
}

// REQ-LOG-02: a panic in work run by Later ends that work only, not the
// process (Echo's recover middleware covers handlers only). The test runs
// itself in a subprocess, which a panic would kill.
func TestLaterSurvivesAPanic_REQ_LOG_02(t *testing.T) {
	if os.Getenv("PORTAL_TEST_LATER_PANIC") == "1" {
		p := build(t, filepath.Join(t.TempDir(), "p.db"), clockwork.NewFakeClock())
		p.Later(context.Background(), func(context.Context) error { panic("boom") })
		time.Sleep(500 * time.Millisecond)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLaterSurvivesAPanic_REQ_LOG_02$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PORTAL_TEST_LATER_PANIC=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Errorf("a panic in Later's work ended the process (exit %d):\n%.600s", exit.ExitCode(), out)
	} else if err != nil {
		t.Fatal(err)
	}
}
