package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestOutboxShowsTheEmailAsSent: on a development instance, /dev/outbox
// shows an email's text part and, below it, its HTML part as a person's
// mail client shows it — the email's heading and button, in their inline
// styles — in a frame the page cannot reach into (sandboxed: an origin
// of its own, no scripts). The page passes axe on the desktop and fits a
// 320 px phone, frame included.
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
	if got := b.eval(`(() => {
		const f = document.querySelector("details[open] iframe");
		if (!f) return "no open frame";
		return f.getAttribute("sandbox") === "" && f.contentDocument === null ? "sandboxed" : "reachable";
	})()`); got != "sandboxed" {
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
}

// frameText is the text of css in the tab's frame whose URL starts with
// prefix, waiting for it to load. Chromium may run a sandboxed frame in a
// process of its own, as a target of its own; else it is in the page's.
func (b *tab) frameText(prefix, css string) string {
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
				s, err := chromedp.Run(fctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
				if err != nil {
					b.fatalf("text of %s in the frame %s: %v", css, info.URL, err)
				}
				return strings.TrimSpace(s)
			}
		}
		// In the page's process: the frame's document is under its node.
		frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`iframe[src^="`+strings.TrimPrefix(prefix, b.origin(ctx))+`"]`), chromedp.AtLeast(0)))
		if err == nil {
			for _, f := range frames {
				if f.ContentDocument == nil || !strings.HasPrefix(f.ContentDocument.DocumentURL, prefix) {
					continue // not loaded yet, or in a process of its own
				}
				s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.FromNode(f), chromedp.NodeVisible))
				if err != nil {
					b.fatalf("text of %s in the frame: %v", css, err)
				}
				return strings.TrimSpace(s)
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
