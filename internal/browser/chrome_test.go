package browser

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser. A missing browser fails the test: a
// skipped browser test looks like a passing one in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("CHROMIUM=%s is not an executable (%v): point it at Chromium, or unset it and run `make deps`", p, err)
		}
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is needed for the browser tests and was not found: run `make deps` " +
		"(Debian: `apt-get install chromium`), or set CHROMIUM=/path/to/chrome")
	return ""
}

// tab is one Chromium tab with a deadline for the whole test. Every step
// that fails reports where the browser was and what the page said.
type tab struct {
	t        *testing.T
	ctx      context.Context // no deadline, so diagnostics still run after a timeout
	deadline time.Time
	output   *syncBuffer
}

// openTab starts a fresh headless Chromium with its own profile.
func openTab(t *testing.T, timeout time.Duration) *tab {
	t.Helper()
	deadline := time.Now().Add(timeout)
	exe := chromiumPath(t)
	out := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // tests often run as root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Without the back/forward cache, Back re-requests the page and the
		// browser restores what was typed into its form: the case where the
		// portal's markup matters. (A page restored from that cache also
		// fires no load event, which chromedp waits for.)
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,BackForwardCache"),
		chromedp.UserDataDir(t.TempDir()), // before the Cleanup below, so Chromium exits before it is removed
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first Do starts the browser and binds its life to ctx, which
	// therefore has no deadline of its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v\n%s", exe, err, out.String())
	}
	return &tab{t: t, ctx: ctx, deadline: deadline, output: out}
}

// bounded is the tab's context cut off at the test's deadline.
func (b *tab) bounded() (context.Context, context.CancelFunc) {
	return context.WithDeadline(b.ctx, b.deadline)
}

// disableJavaScript turns scripts off for every page the tab loads next.
func (b *tab) disableJavaScript() {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	if err != nil {
		b.fatalf("disable JavaScript: %v", err)
	}
}

// do runs steps that need no page load to finish.
func (b *tab) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fatalf("%s: %v", step, err)
	}
}

// load runs steps that start a navigation (a click on a link or a submit
// button, a Navigate) and waits until the page that finally arrives, after
// any redirects, has loaded. It returns that page's HTTP status.
func (b *tab) load(step string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.fatalf("%s: %v", step, err)
	}
	if res == nil {
		b.fatalf("%s: no page loaded", step)
	}
	return res.Status
}

// open navigates to url and waits for the page.
func (b *tab) open(url string) int64 {
	b.t.Helper()
	return b.load("open "+url, chromedp.Navigate(url))
}

// submit clicks the form's submit button (as a person would, so the browser
// builds the request) and waits for the answer.
func (b *tab) submit(step, form string) int64 {
	b.t.Helper()
	return b.load(step, chromedp.Click(chromedp.CSS(form+" button[type=submit]")))
}

// back goes one step back in the tab's history, as the browser's Back
// button does, and waits until the element waitFor is visible.
func (b *tab) back(waitFor string) {
	b.t.Helper()
	b.do("go back", chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// typeInto types text into an empty field, key by key.
func (b *tab) typeInto(id, text string) {
	b.t.Helper()
	b.do("type into #"+id, chromedp.WaitVisible(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), text))
}

func (b *tab) text(css string) string {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		b.fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}

func (b *tab) value(css string) string {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(css), chromedp.NodeReady))
	if err != nil {
		b.fatalf("value of %s: %v", css, err)
	}
	return s
}

func (b *tab) attr(css, name string) string {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name, chromedp.NodeReady))
	if err != nil {
		b.fatalf("attribute %s of %s: %v", name, css, err)
	}
	return r.Value
}

func (b *tab) url() string {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.fatalf("location: %v", err)
	}
	return u
}

// expectPage checks what a person sees first: the window title and the
// page's heading.
func (b *tab) expectPage(title, h1 string) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		b.fatalf("title: %v", err)
	}
	if got != title {
		b.fatalf("title = %q, want %q", got, title)
	}
	if got := b.text("h1"); got != h1 {
		b.fatalf("h1 = %q, want %q", got, h1)
	}
}

// expectURL checks the start of the address bar.
func (b *tab) expectURL(prefix string) {
	b.t.Helper()
	if u := b.url(); !strings.HasPrefix(u, prefix) {
		b.fatalf("at %s, want %s…", u, prefix)
	}
}

// fatalf fails the test with the browser's location and the text of the
// page, read with a fresh short timeout so that it works after the test's
// deadline has passed.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	crashed := ""
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		// Most likely the browser itself failed: show what it printed.
		loc, crashed = "(unknown: "+err.Error()+")", chromiumOutput(b.output)
	}
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		body = "(unreadable: " + err.Error() + ")"
	}
	msg := fmt.Sprintf(format, args...)
	b.t.Fatalf("%s\ncurrent URL: %s\npage text:\n%s\n%s", msg, loc, indent(body), crashed)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}

func chromiumOutput(out *syncBuffer) string {
	s := strings.TrimSpace(out.String())
	if s == "" {
		return ""
	}
	const keep = 2000
	if len(s) > keep {
		s = "…" + s[len(s)-keep:]
	}
	return "Chromium said:\n" + indent(s)
}

// cookie returns the value of the browser's cookie for url, "" if none.
func (b *tab) cookie(url, name string) string {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		b.fatalf("cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// syncBuffer collects Chromium's output, written from another goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
