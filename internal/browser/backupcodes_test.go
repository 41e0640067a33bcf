package browser

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/totptest"
)

// TestBackupCodesCopyDownloadPrint: the new backup codes, shown once, can
// be copied, downloaded and printed, as Clerk's account page offers. "Copy
// all" puts them on the clipboard, one a line, and a screen reader hears
// "Copied" (a live region); "Download" saves <app>-backup-codes.txt with a
// line saying whose codes they are; "Print" prints, and the printout holds
// the codes and that line without the buttons and links. Nothing is sent
// anywhere while doing so: no request leaves the page. The page passes axe
// and fits 320 px. Without scripts the buttons are not there and the codes
// are text to select.
func TestBackupCodesCopyDownloadPrint(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	w.signUp()

	// Turning the authenticator app on brings the first codes.
	b.open(w.p.URL + "/user/security/totp")
	secret := strings.Join(strings.Fields(b.text("[data-testid=totp-secret]")), "")
	b.typeInto("code-field", totptest.Code(t, secret, time.Now()))
	b.submit("turn the app on", `form[action^="/user/security/totp"]`)
	if h := b.text("h1"); h != "Your authenticator app is on" {
		b.fatalf("after the code: %q", h)
	}
	codes := b.eval(`[...document.querySelectorAll("[data-testid=backup-codes] code")].map(c => c.textContent).join("\n")`)
	if strings.Count(codes, "\n") < 4 {
		b.fatalf("backup codes listed: %q", codes)
	}

	// The page with its buttons: axe finds nothing serious, and at 320 px
	// nothing scrolls sideways.
	for _, v := range b.axe(axeScript(t)) {
		if v.blocking() {
			t.Errorf("axe: %s", v)
		}
	}
	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	if wide := b.eval(overflowScript); wide != "" {
		t.Errorf("the backup codes page scrolls sideways at %d px: %s", narrowWidth, wide)
	}
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))

	// From here on, no request may leave the page.
	var mu sync.Mutex
	var sent []string
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !strings.HasPrefix(e.Request.URL, "blob:") {
			mu.Lock()
			sent = append(sent, e.Request.Method+" "+e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		b.fatalf("listen to requests: %v", err)
	}

	for _, c := range []struct{ css, name string }{
		{"[data-backup-copy]", "Copy all"}, {"[data-backup-download]", "Download"}, {"[data-backup-print]", "Print"},
	} {
		if got := b.eval(`(() => { const el = document.querySelector("` + c.css + `");
			return el.tagName + " " + el.type + " " + el.checkVisibility() + " " + el.tabIndex; })()`); got != "BUTTON button true 0" {
			b.fatalf("%s: %s, want a visible button in the tab order", c.name, got)
		}
		if role, name, _ := b.axNode(c.css); role != "button" || name != c.name {
			b.fatalf("a screen reader hears %s %q, want button %q", role, name, c.name)
		}
	}
	if role, _, _ := b.axNode("[data-backup-status]"); role != "status" {
		b.fatalf("the line that says what happened is a %q, want a status (live region)", role)
	}

	// Copy all: with the page allowed to read the clipboard back.
	ctx, cancel := b.bounded()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: w.p.URL,
		}); err != nil {
			cancel()
			b.fatalf("grant %s: %v", name, err)
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		cancel()
		b.fatalf("focus the page: %v", err)
	}
	cancel()
	b.do("press Copy all", chromedp.Click(chromedp.CSS("[data-backup-copy]")))
	b.waitFor(`document.querySelector("[data-backup-status]").textContent === "Copied to the clipboard."`,
		func() string {
			return "after Copy all the status says " + b.eval(`document.querySelector("[data-backup-status]").textContent`)
		})
	ctx, cancel = b.bounded()
	clip, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		b.fatalf("read the clipboard: %v", err)
	}
	if clip != codes+"\n" {
		b.fatalf("the clipboard holds %q, want the codes one a line: %q", clip, codes+"\n")
	}

	// Download: a file named after the app, in the download directory.
	dir := t.TempDir()
	ctx, cancel = b.bounded()
	_, err = chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	cancel()
	if err != nil {
		b.fatalf("set the download directory: %v", err)
	}
	b.do("press Download", chromedp.Click(chromedp.CSS("[data-backup-download]")))
	file := filepath.Join(dir, "portal-backup-codes.txt")
	var got []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if got, err = os.ReadFile(file); err == nil && len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			names, _ := filepath.Glob(filepath.Join(dir, "*"))
			b.fatalf("no %s after Download; the directory holds %q", filepath.Base(file), names)
		}
	}
	want := "Backup codes for " + email + " on Portal. Each code works once.\n\n" + codes + "\n"
	if string(got) != want {
		b.fatalf("the downloaded file holds\n%s\nwant\n%s", got, want)
	}

	// Print: the browser's print, and a printout of the codes alone.
	b.do("catch print()", chromedp.Evaluate[chromedp.Void](`window.printed = 0; window.print = () => { window.printed++; };`))
	b.do("press Print", chromedp.Click(chromedp.CSS("[data-backup-print]")))
	if got := b.eval(`String(window.printed)`); got != "1" {
		b.fatalf("Print called print() %s times, want once", got)
	}
	ctx, cancel = b.bounded()
	_, err = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	cancel()
	if err != nil {
		b.fatalf("print media: %v", err)
	}
	var printed struct{ Shown, Hidden []string }
	if err := json.Unmarshal([]byte(b.eval(`(() => {
		const seen = (css) => [...document.querySelectorAll(css)].some(el => el.checkVisibility());
		const parts = {codes: "[data-testid=backup-codes]", whose: ".cl-printOnly", title: "h1",
			buttons: "[data-backup-copy], [data-backup-download], [data-backup-print]", status: "[data-backup-status]",
			saved: "a.cl-formButtonPrimary", footer: ".cl-footer"};
		const r = {shown: [], hidden: []};
		for (const [k, css] of Object.entries(parts)) (seen(css) ? r.shown : r.hidden).push(k);
		return JSON.stringify(r);
	})()`)), &printed); err != nil {
		b.fatalf("read the printout: %v", err)
	}
	if strings.Join(printed.Shown, " ") != "codes whose title" {
		b.fatalf("printed: %q, hidden: %q; want the codes, whose they are and the title only", printed.Shown, printed.Hidden)
	}
	if got := b.text(".cl-printOnly"); got != "Backup codes for "+email+" on Portal. Each code works once." {
		b.fatalf("the printout says %q", got)
	}
	ctx, cancel = b.bounded()
	_, _ = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
	cancel()

	mu.Lock()
	if len(sent) > 0 {
		b.fatalf("the buttons sent requests: %q", sent)
	}
	mu.Unlock()

	// Without scripts: new codes, listed as text, and no buttons.
	b.disableJavaScript()
	b.open(w.p.URL + "/user/security/backup-codes")
	b.submit("get new codes", `form[action="/user/security/backup-codes"]`)
	if h := b.text("h1"); h != "Your new backup codes" {
		b.fatalf("after asking for new codes: %q", h)
	}
	if got := b.eval(`[...document.querySelectorAll("[data-testid=backup-codes] code")].filter(c => c.checkVisibility()).length + " codes, " +
		[...document.querySelectorAll("[data-backup-copy], [data-backup-download], [data-backup-print]")].filter(el => el.checkVisibility()).length + " buttons"`); got != "10 codes, 0 buttons" {
		b.fatalf("with JavaScript off: %s, want the 10 codes and no buttons", got)
	}
}

// waitFor polls a JavaScript condition until it holds or five seconds pass,
// then fails with what says tells.
func (b *tab) waitFor(cond string, says func() string) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		b.fatalf("%s", says())
	}
}
