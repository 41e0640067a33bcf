package browser

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// focusedBox is where the focused element is drawn on the page, and what
// it is; "" when the focus is on the page itself.
const focusedBox = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return "";
	const r = el.getBoundingClientRect();
	return JSON.stringify({top: r.top + scrollY, bottom: r.bottom + scrollY,
		name: el.tagName.toLowerCase() + " " + (el.textContent || el.name || "").trim().slice(0, 30)});
})()`

// tabsUpward presses Tab from the top of the page round to where it began
// and names each step that goes back up the page: Tab goes the way a
// person reads (WCAG 2.4.3), down the page, left to right along a line.
// reached is how many elements Tab reached.
func (b *tab) tabsUpward() (up []string, reached int) {
	b.t.Helper()
	b.do("focus the top of the page", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	type box struct {
		Top, Bottom float64
		Name        string
	}
	var prev *box
	first := ""
	for range 100 {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		s := b.eval(focusedBox)
		if s == "" || s == first {
			return up, reached
		}
		reached++
		if first == "" {
			first = s
		}
		var here box
		if err := json.Unmarshal([]byte(s), &here); err != nil {
			b.fatalf("focused element: %v", err)
		}
		if prev != nil && here.Bottom < prev.Top-1 {
			up = append(up, prev.Name+" → "+here.Name)
		}
		prev = &here
	}
	b.fatalf("Tab went round more than 100 elements without coming back")
	return nil, 0
}

// TestPasskeyRenameKeepsTheTabOrder: a passkey's Rename, opened, showed
// its box on a line below the passkey's Remove, and Tab went from the
// box's button back up to Remove. Opened, it stays where it is in the
// row, Remove after it on the page as in Tab's order; on a phone too.
func TestPasskeyRenameKeepsTheTabOrder(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{})
	b := w.b
	b.emulateFocus()
	w.signUpOnPortal(b, email)
	b.addAuthenticator()
	b.open(w.p.URL + "/user/security/passkeys/new")
	b.runThenWaitFor("create a passkey", chromedp.Click(chromedp.CSS(`form[data-passkey-register] button`)),
		w.p.URL+"/user/security?done=passkey-added")
	for _, width := range []int64{desktopWidth, commonPhoneWidth} {
		b.do("viewport", chromedp.EmulateViewport(width, desktopHeight))
		b.open(w.p.URL + "/user/security")
		if up, reached := b.tabsUpward(); len(up) > 0 || reached < 5 {
			t.Errorf("at %d px, Rename closed: Tab reached %d elements, going back up the page %v", width, reached, up)
		}
		b.do("open Rename", chromedp.Click(chromedp.CSS(".cl-passkeyRename summary")))
		if up, reached := b.tabsUpward(); len(up) > 0 || reached < 5 {
			t.Errorf("at %d px, Rename open: Tab reached %d elements, going back up the page %v", width, reached, up)
		}
	}
}
