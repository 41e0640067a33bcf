package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestOutboxShowsTheEmailAsSent: on a development instance, /dev/outbox
// shows an email's text part and, below it, its HTML part as a person's
// mail client shows it — the email's heading and button, in their inline
// styles — in a frame the page cannot reach into (sandboxed: an origin
// of its own, no scripts). The page passes axe on the desktop and fits a
// 320 px phone, frame included, and the email fits its frame there: the
// code does not run out of it.
func TestOutboxShowsTheEmailAsSent(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{DevOutbox: true})
	b := w.b
	b.open(w.p.URL + "/sign-up")
	b.typeInto("email_address-field", "ada@example.com")
	b.typeInto("password-field", password)
	b.submit("submit the sign-up form", `form[action="/sign-up"]`)
	b.expectURL(w.p.URL + "/sign-up/verify-email-address?")

	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	b.open(w.p.URL + "/dev/outbox")
	if text := b.text(".cl-table pre"); !strings.Contains(text, "Enter this code") {
		b.fatalf("the text part is not shown: %q", text)
	}
	// The newest email's frame is open; the page's scripts cannot read it.
	if got := b.eval(frameSandboxScript); got != "sandboxed" {
		b.fatalf("the email's frame: %s", got)
	}
	heading := b.frameText(w.p.URL+"/dev/outbox/", "h1")
	if heading != "Your verification code" {
		b.fatalf("the frame shows %q, want the email's heading", heading)
	}
	for _, v := range b.axe(axeScript(t)) {
		if v.blocking() {
			t.Errorf("axe: %s", v)
		}
	}
	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	if wide := b.eval(overflowScript); wide != "" {
		t.Errorf("/dev/outbox scrolls sideways at %d px wide; sticking out: %s", narrowWidth, wide)
	}
	// The table of messages scrolls sideways on a phone; the email's two
	// parts stay within the screen all the same.
	if got := b.eval(`JSON.stringify([...document.querySelectorAll(".cl-outbox pre, details[open] iframe")]
		.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).map(e => e.tagName))`); got != "[]" {
		t.Errorf("at %d px the email reaches past the screen: %s", narrowWidth, got)
	}
	var inner, frame int
	b.inFrame(w.p.URL+"/dev/outbox/", func(ctx context.Context, opts ...chromedp.QueryOption) (err error) {
		if inner, err = chromedp.Run(ctx, chromedp.JavascriptAttribute[int](chromedp.CSS("html"), "scrollWidth", opts...)); err != nil {
			return err
		}
		frame, err = chromedp.Run(ctx, chromedp.JavascriptAttribute[int](chromedp.CSS("html"), "clientWidth", opts...))
		return err
	})
	if inner > frame {
		t.Errorf("at %d px the email is %d px wide in a frame %d px wide: it scrolls sideways", narrowWidth, inner, frame)
	}
}

// frameSandboxScript says "sandboxed" when the open email's frame is in
// an origin of its own, without scripts, forms or top-level navigation.
const frameSandboxScript = `(() => {
	const f = document.querySelector("details[open] iframe");
	if (!f) return "no open frame";
	const tokens = [...f.sandbox];
	if (!f.hasAttribute("sandbox") || tokens.some(t => !["allow-popups", "allow-popups-to-escape-sandbox"].includes(t))) {
		return "sandbox " + JSON.stringify(f.getAttribute("sandbox"));
	}
	return f.contentDocument === null ? "sandboxed" : "reachable";
})()`

// TestOutboxEmailLinksOpenInANewTab: a person trying the portal presses
// the button in an email's HTML part on /dev/outbox, and the link opens in
// a new tab — outside the frame's sandbox, so the portal's page works
// there — while the outbox stays. The frame still runs no script: neither
// the email's own nor its links' handlers.
func TestOutboxEmailLinksOpenInANewTab(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{DevOutbox: true})
	b := w.b
	target := w.p.URL + "/sign-in?from=email"
	msg := notify.OutboxMessage{ID: id.New(id.Message), Channel: notify.ChannelEmail, To: "ada@example.com",
		Subject: "Sign in", Text: "Sign in: " + target, CreatedAt: time.Now(),
		HTML: `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>` +
			`<p id="script">No script ran.</p>` +
			`<script>document.getElementById("script").textContent = "A script ran."</script>` +
			`<p><a id="button" href="` + target + `" onclick="document.getElementById('script').textContent = 'A handler ran.'">Sign in</a></p>` +
			`</body></html>`}
	if err := w.p.Store.Q.SaveOutbox(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	b.open(w.p.URL + "/dev/outbox")
	if got := b.eval(frameSandboxScript); got != "sandboxed" {
		b.fatalf("the email's frame: %s", got)
	}
	frame := w.p.URL + "/dev/outbox/" + msg.ID + "/html"
	if got := b.frameText(frame, "#script"); got != "No script ran." {
		b.fatalf("the email's script ran in the frame: %q", got)
	}

	b.inFrame(frame, func(ctx context.Context, opts ...chromedp.QueryOption) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.ID("button"), opts...))
	})
	tab := b.newTab(target)
	ctx, cancel := tab.bounded()
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(done => {
		const ready = () => done(document.title + " at " + self.origin);
		document.readyState === "complete" ? ready() : addEventListener("load", ready);
	})`, chromedp.EvalAwaitPromise))
	// A tab still in the sandbox would be at the origin "null".
	if err != nil || got != "Sign in · Portal at "+w.p.URL {
		tab.fatalf("the link's tab shows %q (%v), want the sign-in page at %s", got, err, w.p.URL)
	}
	b.expectURL(w.p.URL + "/dev/outbox")
	if got := b.frameText(frame, "#script"); got != "No script ran." {
		b.fatalf("pressing the link ran its handler in the frame: %q", got)
	}
}

// newTab waits for a tab at a URL starting with prefix to open, and
// returns it.
func (b *tab) newTab(prefix string) *tab {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			b.fatalf("targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "page" && strings.HasPrefix(info.URL, prefix) {
				tctx, _ := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID))
				return &tab{t: b.t, ctx: tctx, deadline: b.deadline, output: b.output}
			}
		}
		select {
		case <-ctx.Done():
			b.fatalf("no tab opened at %s", prefix)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// frameText is the text of css in the tab's frame whose URL starts with
// prefix, waiting for it to load.
func (b *tab) frameText(prefix, css string) string {
	b.t.Helper()
	var s string
	b.inFrame(prefix, func(ctx context.Context, opts ...chromedp.QueryOption) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), append(opts, chromedp.NodeVisible)...))
		return err
	})
	return strings.TrimSpace(s)
}

// inFrame runs act in the tab's frame whose URL starts with prefix, once
// it has loaded. Chromium may run a sandboxed frame in a process of its
// own, as a target of its own: then act gets that target's context and no
// options; else it gets the page's, and an option that queries from the
// frame's document.
func (b *tab) inFrame(prefix string, act func(ctx context.Context, opts ...chromedp.QueryOption) error) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			b.fatalf("targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				// Detach when done: closing the frame's target would close the page.
				fctx, fcancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				defer fcancel()
				if err := act(fctx); err != nil {
					b.fatalf("in the frame %s: %v", info.URL, err)
				}
				return
			}
		}
		// In the page's process: the frame's document is under its node.
		frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`iframe[src^="`+strings.TrimPrefix(prefix, b.origin(ctx))+`"]`), chromedp.AtLeast(0)))
		if err == nil {
			for _, f := range frames {
				if f.ContentDocument == nil || !strings.HasPrefix(f.ContentDocument.DocumentURL, prefix) {
					continue // not loaded yet, or in a process of its own
				}
				if err := act(ctx, chromedp.FromNode(f)); err != nil {
					b.fatalf("in the frame: %v", err)
				}
				return
			}
		}
		select {
		case <-ctx.Done():
			b.fatalf("no frame at %s loaded", prefix)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// origin is the scheme, host and port of the tab's page.
func (b *tab) origin(ctx context.Context) string {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.origin`))
	if err != nil {
		b.fatalf("origin: %v", err)
	}
	return s
}
