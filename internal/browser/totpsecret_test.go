package browser

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/totptest"
)

// The authenticator app's secret, for those who can't scan the QR code,
// is shown in groups of four with a visible gap between them, easier to
// read and type; selected and copied it is the bare secret, which an
// authenticator app takes and whose codes turn the app on.
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

	b.typeInto("code-field", totptest.Code(t, got.Copied, time.Now()))
	b.submit("turn the app on with a code from the copied secret", `form[action^="/user/security/totp"]`)
	if h := b.text("h1"); h != "Your authenticator app is on" {
		b.fatalf("after the code: %q", h)
	}
}
