package browser

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/theme"
	"github.com/portalhq/portal/internal/user"
)

// TestSignUpAndSignInWithTheKeyboardAlone creates an account and signs in
// again with Tab, typing and Enter only — no click anywhere. Every element
// Tab reaches shows where the focus is; each error is announced (role
// alert) and tied to its field (aria-describedby, aria-invalid), and the
// focus lands on the field to fix.
func TestSignUpAndSignInWithTheKeyboardAlone(t *testing.T) {
	t.Parallel()
	w := startWithin(t, portaltest.Options{}, 3*time.Minute)
	b := w.b
	back := "?redirect_url=" + url.QueryEscape(w.app.URL)

	b.open(w.p.URL + "/sign-up" + back)
	b.tabTo("#email_address-field")
	b.keys("ada@localhost") // a browser takes it; the portal wants a dot in the domain
	b.tabTo("#password-field")
	b.keys(password)
	if st := b.press("submit the sign-up form with Enter", kb.Enter); st != http.StatusUnprocessableEntity {
		b.fatalf("sign-up with a bad address: status %d, want 422", st)
	}
	b.expectFieldError("email_address")
	b.keys("a", chromedp.ModifierCtrl) // select what was typed, to type over it
	b.keys(email)
	b.tabTo("#password-field") // never sent back: typed again
	b.keys(password)
	b.press("submit the sign-up form with Enter", kb.Enter)
	b.expectPage("Verify your email · Portal", "Verify your email")
	b.tabTo("#code-field")
	b.keys(w.p.SMTP.WaitFor(t, email, 10*time.Second).Code())
	b.press("submit the code with Enter", kb.Enter)
	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		b.fatalf("the new user is not in the store: %v", err)
	}
	w.expectSignedIn(u.ID)

	b.open(w.p.URL + "/sign-out" + back)
	b.tabTo(`form[action="/sign-out"] button`)
	b.press("sign out with Enter", kb.Enter)
	w.expectSignedOut()

	b.open(w.p.URL + "/sign-in" + back)
	b.tabTo("#identifier-field")
	b.keys(email)
	b.press("submit the address with Enter", kb.Enter)
	w.expectPasswordPage()
	b.tabTo("#password-field")
	b.keys(wrong)
	if st := b.press("submit a wrong password with Enter", kb.Enter); st != http.StatusUnprocessableEntity {
		b.fatalf("wrong password: status %d, want 422", st)
	}
	b.expectFieldError("password")
	b.keys(password)
	b.press("submit the password with Enter", kb.Enter)
	w.expectSignedIn(u.ID)

	// Still signed in: the focus shows on every element of the account
	// page, as on the sign-in and sign-up pages, in every shipped theme.
	for _, th := range theme.Shipped() {
		b.open(withTheme(w.p.URL+"/user", th))
		b.expectPage("Your account · Portal", "Your account")
		b.tabThroughAll()
	}
	signedOut := b.otherContext()
	signedOut.emulateFocus()
	for _, th := range theme.Shipped() {
		for _, path := range []string{"/sign-in", "/sign-up"} {
			signedOut.open(withTheme(w.p.URL+path, th))
			signedOut.tabThroughAll()
		}
	}
}

// startWithin is startWith for a test that needs longer than testTimeout.
func startWithin(t *testing.T, opt portaltest.Options, timeout time.Duration) *world {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: `make unit` (-short) leaves it out; `make test` runs it")
	}
	b := openTab(t, timeout)
	b.emulateFocus()
	p := portaltest.Start(t, opt)
	return &world{t: t, p: p, app: startRelyingApp(t, p.URL, p.Clock.Now), b: b}
}

// emulateFocus makes the tab behave as the focused window of a desktop,
// which a headless tab is not: without it, an autofocused field is the
// active element yet matches neither :focus nor :focus-visible.
func (b *tab) emulateFocus() {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		b.fatalf("focus emulation: %v", err)
	}
}

// keys types text into the focused element, holding modifiers if any.
func (b *tab) keys(text string, modifiers ...chromedp.Modifier) {
	b.t.Helper()
	var opts []chromedp.KeyOption
	if len(modifiers) > 0 {
		opts = append(opts, chromedp.KeyModifiers(modifiers...))
	}
	b.do("type "+text, chromedp.KeyEvent(text, opts...))
}

// press presses a key that loads a page (Enter in a form) and returns the
// status of the page that arrives.
func (b *tab) press(step, key string) int64 {
	b.t.Helper()
	return b.load(step, chromedp.KeyEvent(key))
}

// tabTo presses Tab until the element matching css has the focus,
// checking on the way that each element reached shows its focus.
func (b *tab) tabTo(css string) {
	b.t.Helper()
	for range 40 {
		if b.eval(`String(document.activeElement && document.activeElement.matches(`+quoteJS(css)+`))`) == "true" {
			b.expectFocusVisible()
			return
		}
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		if b.eval(`document.activeElement === document.body ? "" : "x"`) != "" {
			b.expectFocusVisible()
		}
	}
	b.fatalf("40 presses of Tab never reached %s", css)
}

// tabThroughAll presses Tab from the top of the page until the focus
// comes back round, checking every element on the way.
func (b *tab) tabThroughAll() {
	b.t.Helper()
	b.do("focus the top of the page", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	first, seen := "", 0
	for range 100 {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		here := b.eval(describeFocused)
		if here == "" || here == first { // left the page, or round again
			if seen == 0 {
				b.fatalf("Tab reaches nothing on the page")
			}
			return
		}
		if first == "" {
			first = here
		}
		seen++
		b.expectFocusVisible()
	}
	b.fatalf("Tab went round more than 100 elements without coming back")
}

// describeFocused names the focused element, "" when it is the page itself.
const describeFocused = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) return "";
	const all = [...document.querySelectorAll(el.tagName)];
	return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "[" + all.indexOf(el) + "] " + (el.textContent || el.name || "").trim().slice(0, 40);
})()`

// focusScript says what is wrong with how the focused element shows its
// focus, "" when nothing is: it must draw an outline or a shadow, the
// outline of a colour with 3:1 contrast against what is behind it (WCAG
// 2.4.7, 1.4.11). The computed style decides, however the focus came —
// Tab, or autofocus on a page that just loaded.
const focusScript = `(() => {
	const el = document.activeElement;
	const rgb = s => { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : null; };
	const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
	const behind = node => { for (let n = node.parentElement; n; n = n.parentElement) {
		const c = rgb(getComputedStyle(n).backgroundColor); if (c && (c.length < 4 || c[3] > 0)) return c; } return [255, 255, 255]; };
	const s = getComputedStyle(el);
	const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.textContent || el.name || "").trim().slice(0, 40);
	const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1;
	if (!outline && s.boxShadow === "none") return name + ": neither outline nor box-shadow when focused";
	if (outline) {
		const a = lum(rgb(s.outlineColor)), b = lum(behind(el));
		const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < 3) return name + ": focus outline " + s.outlineColor + " has " + ratio.toFixed(2) + ":1 against what is behind it, want 3:1";
	}
	return "";
})()`

func (b *tab) expectFocusVisible() {
	b.t.Helper()
	if problem := b.eval(focusScript); problem != "" {
		b.t.Errorf("focus not visible on %s: %s", b.url(), problem)
	}
}

// expectFieldError checks that the field called name carries an error a
// screen reader announces and reads with the field, and has the focus.
func (b *tab) expectFieldError(name string) {
	b.t.Helper()
	// Chromium applies autofocus a moment after the load event.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b.eval(`String(document.activeElement.id)`) == name+"-field" {
			break
		}
	}
	raw := b.eval(`JSON.stringify((() => {
		const f = document.getElementById(` + quoteJS(name+"-field") + `), e = document.getElementById(` + quoteJS(name+"-error") + `);
		return {
			error: e ? e.textContent.trim() : "",
			describedBy: f ? (f.getAttribute("aria-describedby") || "").split(/\s+/).includes(` + quoteJS(name+"-error") + `) : false,
			invalid: f ? f.getAttribute("aria-invalid") : "",
			announced: !!(e && e.closest("[role=alert], [aria-live=assertive], [aria-live=polite]")),
			focused: document.activeElement === f,
		};
	})())`)
	var got struct {
		Error       string `json:"error"`
		DescribedBy bool   `json:"describedBy"`
		Invalid     string `json:"invalid"`
		Announced   bool   `json:"announced"`
		Focused     bool   `json:"focused"`
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		b.fatalf("field %s: %v", name, err)
	}
	if got.Error == "" || !got.DescribedBy || got.Invalid != "true" || !got.Announced || !got.Focused {
		b.fatalf("field %s after the error: %+v; want a message, aria-describedby naming it, "+
			`aria-invalid="true", role=alert or aria-live around it, and the focus on the field`, name, got)
	}
	if strings.TrimSpace(got.Error) == "" {
		b.fatalf("field %s: empty error message", name)
	}
}

// TestPastedCode: a code copied from an email often comes with a space
// before or after it. Pasted into the code field, it is all there (no
// maxlength cuts its last digit) and the form goes (the portal trims it).
func TestPastedCode(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{})
	b := w.b
	w.signUpToCode(b, email)
	pasted := " " + w.p.SMTP.WaitFor(t, email, 10*time.Second).Code() + " "
	b.do("focus the code field", chromedp.Focus(chromedp.ID("code-field")))
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: pasted}); err != nil {
		b.fatalf("paste the code: %v", err)
	}
	if got := b.value("#code-field"); got != pasted {
		b.fatalf("the code field holds %q after pasting %q", got, pasted)
	}
	b.press("submit the code with Enter", kb.Enter)
	b.expectPage("Signed in · Portal", "You're signed in")
}
