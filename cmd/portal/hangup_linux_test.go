package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// startPortal runs `portal serve` in a process of its own (TestMain), in
// a session of its own, with stdin (nil: none) as its controlling terminal
// if ctty, and returns what it logs, and a channel that gives its end
// once and is closed then.
func startPortal(t *testing.T, stdin *os.File, ctty bool) (base string, log *syncBuffer, cmd *exec.Cmd, done <-chan error) {
	t.Helper()
	_, settings := serveSettings(t)
	base = settings["PORTAL_BASE_URL"]
	_, environ := envOf(settings)
	cmd = exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), append(environ, "PORTAL_TEST_AS_PORTAL=1")...)
	log = &syncBuffer{}
	cmd.Stderr, cmd.Stdout = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if stdin != nil {
		cmd.Stdin = stdin
		cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = ctty, 0
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait(); close(ended) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-ended:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("still running 30 s after SIGTERM:\n%s", log.String())
			<-ended
		}
	})
	waitFor(t, base+"/healthz")
	return base, log, cmd, ended
}

// A SIGHUP to a portal with no terminal — systemd's `systemctl reload`
// wired to kill -HUP, an operator's kill -HUP — does not stop it (Go's
// default would): it goes on serving and logs a warning that nothing was
// reloaded and to restart instead. SIGTERM still stops it cleanly.
func TestHangupWithoutATerminalKeepsServingAndSaysToRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a portal in a process of its own")
	}
	base, log, cmd, done := startPortal(t, nil, false)
	for range 2 {
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the SIGHUP warning", func() bool {
		select {
		case err := <-done:
			t.Fatalf("the portal ended on SIGHUP: %v\n%s", err, log.String())
		default:
		}
		return strings.Contains(log.String(), "SIGHUP received and ignored")
	})
	for _, want := range []string{"reads its configuration only as it starts", "restart it", "systemctl restart"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the warning does not say %q:\n%s", want, log.String())
		}
	}
	if status, _ := getText(t, base+"/healthz"); status != http.StatusOK {
		t.Errorf("after SIGHUP /healthz answers %d", status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("SIGTERM after SIGHUP: %v\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM:\n%s", log.String())
	}
}

// A portal run in a terminal (make run) whose terminal closes is told so
// by SIGHUP, and stops as on Ctrl-C — exit status 0, "stopped" logged —
// rather than lingering with no terminal and its port held.
func TestTerminalHangupStopsThePortalCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a portal in a process of its own")
	}
	master, pts := openPTY(t)
	_, log, _, done := startPortal(t, pts, true)
	pts.Close()
	master.Close() // the terminal's window closes: the kernel hangs up
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the portal ended with %v on its terminal's hangup, want exit status 0:\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after its terminal closed:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "stopped") {
		t.Errorf("no clean stop logged:\n%s", log.String())
	}
}

// openPTY opens a pseudo-terminal: its master, and the terminal a process
// gets as its own.
func openPTY(t *testing.T) (master, pts *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	var n uint32
	var unlock int32
	for _, c := range []struct {
		req uintptr
		arg unsafe.Pointer
	}{{syscall.TIOCGPTN, unsafe.Pointer(&n)}, {syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)}} {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), c.req, uintptr(c.arg)); errno != 0 {
			t.Fatal(errno)
		}
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, pts
}
