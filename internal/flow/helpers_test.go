package flow_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// start is on a whole millisecond, the precision the store keeps, so that
// "exactly ten minutes later" means the same thing in memory and on disk.
var start = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// fixture is flow.Codes over a real store on a fake clock.
type fixture struct {
	clock *clockwork.FakeClock
	st    *store.Store
	codes *flow.Codes
}

// opener opens an empty store of one engine with the given send limits.
type opener func(t *testing.T, limits flow.SendLimits) *fixture

// engines runs fn once per database engine, each subtest on its own
// database, because single use and the caps are enforced by the store.
func engines(t *testing.T, fn func(t *testing.T, open opener)) {
	open := func(url func(t *testing.T) string) opener {
		return func(t *testing.T, limits flow.SendLimits) *fixture {
			t.Helper()
			st, err := store.Open(t.Context(), url(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			clock := clockwork.NewFakeClockAt(start)
			return &fixture{clock: clock, st: st,
				codes: &flow.Codes{Clock: clock, Key: []byte("flow-test-key-0123456789abcdef!!"), Limits: limits}}
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		fn(t, open(func(t *testing.T) string { return "sqlite:" + t.TempDir() + "/p.db" }))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, open(func(t *testing.T) string { return pgtest.URL(t) }))
	})
}

func (f *fixture) issue(t *testing.T, flowID, strategy, target, ip string) (string, error) {
	t.Helper()
	return f.codes.Issue(t.Context(), f.st.Q, flowID, strategy, target, ip)
}

func (f *fixture) mustIssue(t *testing.T, flowID, strategy, target, ip string) string {
	t.Helper()
	code, err := f.issue(t, flowID, strategy, target, ip)
	if err != nil {
		t.Fatalf("Issue(%s, %s, %s, %s): %v", flowID, strategy, target, ip, err)
	}
	return code
}

func (f *fixture) mustIssueLink(t *testing.T, flowID, target string) string {
	t.Helper()
	tok, err := f.codes.IssueLink(t.Context(), f.st.Q, flowID, flow.EmailLink, target, "192.0.2.1")
	if err != nil {
		t.Fatalf("IssueLink(%s): %v", flowID, err)
	}
	return tok
}

func (f *fixture) check(t *testing.T, flowID, strategy, code string) error {
	t.Helper()
	_, err := f.codes.Check(t.Context(), f.st.Q, flowID, strategy, code)
	return err
}

// wantErr checks that err is a safe error of code whose message contains msg.
func wantErr(t *testing.T, what string, err error, code apperr.Code, msg string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Errorf("%s: error %v, want %s %q", what, err, code, msg)
		return
	}
	if e.Code != code || !strings.Contains(e.Message, msg) {
		t.Errorf("%s: %s %q, want %s containing %q", what, e.Code, e.Message, code, msg)
	}
}

// race runs fn in n goroutines released at once and returns their errors.
func race(n int, fn func() error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			errs[i] = fn()
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	return errs
}

// otherCode is a well-formed code that is not code.
func otherCode(code string) string {
	return string((code[0]-'0'+1)%10+'0') + code[1:]
}
