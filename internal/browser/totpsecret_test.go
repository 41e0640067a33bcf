package browser

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/totptest"
)

// The authenticator app's secret, for those who can't scan the QR code,
// is shown in groups of four with a visible gap between them, easier to
// read and type, and on a phone a group is never cut over two lines;
// selected and copied it is the bare secret, which an authenticator app
// takes and whose codes turn the app on.
func TestTOTPSecretIsGroupedAndCopiesBare(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	w.signUp()
	b.open(w.p.URL + "/user/security/totp")
	b.expectPage("Set up an authenticator app · Portal", "Set up an authenticator app")

	var got struct {
		Groups []string
		Gaps   []float64 // between each group and the next on its line, in CSS pixels
		Copied string
	}
	if err := json.Unmarshal([]byte(b.eval(`(() => {
		const code = document.querySelector("[data-testid=totp-secret]");
		const spans = [...code.children];
		const gaps = [];
		for (let i = 1; i < spans.length; i++) {
			const a = spans[i-1].getBoundingClientRect(), z = spans[i].getBoundingClientRect();
			if (Math.abs(a.top - z.top) < 1) gaps.push(z.left - a.right);
		}
		getSelection().selectAllChildren(code);
		const copied = getSelection().toString();
		getSelection().removeAllRanges();
		return JSON.stringify({groups: spans.map(s => s.textContent), gaps, copied});
	})()`)), &got); err != nil {
		b.fatalf("read the secret: %v", err)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{16,}$`).MatchString(got.Copied) || strings.Join(got.Groups, "") != got.Copied {
		b.fatalf("copied %q from groups %q, want the bare base32 secret", got.Copied, got.Groups)
	}
	for i, g := range got.Groups {
		if len(g) != 4 && i != len(got.Groups)-1 || len(g) > 4 {
			b.fatalf("groups %q, want fours", got.Groups)
		}
	}
	if len(got.Gaps) == 0 {
		b.fatalf("no two groups on a line")
	}
	for _, gap := range got.Gaps {
		if gap < 4 {
			b.fatalf("gaps between groups %v px, want a visible one", got.Gaps)
		}
	}

	// On a phone the key takes two lines: each group of four stays whole
	// (a person types "7JWU", not "7JW" then "U" on the next line), and
	// every line starts flush, with no gap before its first group.
	b.do("phone viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	var narrow struct{ Lines, Split, Indented []string }
	if err := json.Unmarshal([]byte(b.eval(`(() => {
		const code = document.querySelector("[data-testid=totp-secret]");
		const left = code.getBoundingClientRect().left, tops = new Set(), split = [], indented = [];
		for (const s of code.children) {
			const r = document.createRange();
			r.selectNodeContents(s);
			const boxes = [...r.getClientRects()].filter(b => b.width > 0);
			if (boxes.length !== 1) split.push(s.textContent);
			const top = Math.round(boxes[0].top);
			if (!tops.has(top) && boxes[0].left - left > 1) indented.push(s.textContent);
			tops.add(top);
		}
		return JSON.stringify({lines: [...tops].map(String), split, indented});
	})()`)), &narrow); err != nil {
		b.fatalf("read the secret at %d px: %v", narrowWidth, err)
	}
	if len(narrow.Lines) < 2 {
		b.fatalf("at %d px the secret takes %d line(s); the check wants it wrapped", narrowWidth, len(narrow.Lines))
	}
	if len(narrow.Split) > 0 || len(narrow.Indented) > 0 {
		b.fatalf("at %d px groups cut over two lines: %q; lines starting with a gap: %q", narrowWidth, narrow.Split, narrow.Indented)
	}
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))

	b.typeInto("code-field", totptest.Code(t, got.Copied, time.Now()))
	b.submit("turn the app on with a code from the copied secret", `form[action^="/user/security/totp"]`)
	if h := b.text("h1"); h != "Your authenticator app is on" {
		b.fatalf("after the code: %q", h)
	}
}
