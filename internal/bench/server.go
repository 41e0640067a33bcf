package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one running `portal serve` process under test.
type server struct {
	cmd  *exec.Cmd
	dir  string
	port int
	url  string // where the generator connects: http://127.0.0.1:PORT
	host string // Host header the portal expects: localhost:PORT (its base URL)
	logf *os.File
	done chan struct{}
	err  error // exit status, once done is closed
}

// startServer spawns binary in dir (which holds portal.db) on port and waits
// until /readyz answers 200, polling every 2 ms. It returns the time from
// exec to that first 200.
func startServer(ctx context.Context, binary, dir string, port int) (*server, time.Duration, error) {
	s := &server{dir: dir, port: port, done: make(chan struct{}),
		url: fmt.Sprintf("http://127.0.0.1:%d", port), host: fmt.Sprintf("localhost:%d", port)}
	logf, err := os.OpenFile(filepath.Join(dir, "portal.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, 0, err
	}
	s.logf = logf
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Env = append(cleanEnv(),
		fmt.Sprintf("PORTAL_ADDR=127.0.0.1:%d", port),
		"PORTAL_BASE_URL=http://"+s.host,
		"PORTAL_DATABASE_URL=sqlite:"+filepath.Join(dir, "portal.db"),
		"PORTAL_LOG_LEVEL=warn",
		// The generator is the "proxy": it gives each simulated browser its
		// own X-Forwarded-For, so per-IP limits see many clients as they would
		// behind a real load balancer.
		"PORTAL_TRUSTED_PROXIES=127.0.0.1/32",
		// The figures are the portal's own: no lookup of each new password
		// in Pwned Passwords over the internet.
		"PORTAL_PASSWORD_BREACH_CHECK=false",
	)
	// Polling starts before exec so the first poll after the socket opens is
	// at most 2 ms late; connection refused costs microseconds.
	poll := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, 0, fmt.Errorf("start %s: %w", binary, err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		if resp, err := poll.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, time.Since(start), nil
			}
		}
		select {
		case <-tick.C:
		case <-s.done:
			return nil, 0, fmt.Errorf("portal exited before ready (%v); log: %s", s.err, s.logTail())
		case <-deadline:
			s.stop()
			return nil, 0, fmt.Errorf("portal not ready after 30 s; log: %s", s.logTail())
		case <-ctx.Done():
			s.stop()
			return nil, 0, ctx.Err()
		}
	}
}

// cleanEnv is the bench's environment without PORTAL_* settings, so a
// developer's shell cannot change what is measured.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTAL_") {
			out = append(out, kv)
		}
	}
	return out
}

// stop sends SIGTERM, then SIGKILL if the portal has not shut down in 10 s.
func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.logf.Close()
}

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// memKB reads a field such as VmRSS or VmHWM from /proc/PID/status.
func (s *server) memKB(field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		num := strings.TrimSuffix(strings.TrimSpace(rest), " kB")
		return strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", field, s.cmd.Process.Pid)
}

// logTail returns the end of the portal's log, for error messages.
func (s *server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "portal.log"))
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// logErrors returns the log lines at level ERROR, so a benchmark can show
// that the server failed rather than merely slowed down. The hasher's "try
// again" answers (503) are expected under the burst and left out.
func (s *server) logErrors() []string {
	b, err := os.ReadFile(filepath.Join(s.dir, "portal.log"))
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if (strings.Contains(line, "level=ERROR") && !strings.Contains(line, "status=503")) || strings.Contains(line, "panic") {
			out = append(out, line)
		}
	}
	return out
}

// freePort asks the kernel for a port that is free right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
