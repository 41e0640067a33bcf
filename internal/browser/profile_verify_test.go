package browser

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestVerifyingAnUnverifiedAddress: the operator adds Ada's work address
// unverified. On a 320 px phone, with scripts off and only the keyboard,
// she sees it marked Unverified with Verify and no Make primary, reaches
// Verify by Tab, confirms, types the emailed code and sees it verified —
// now with Make primary. No page scrolls sideways.
func TestVerifyingAnUnverifiedAddress(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	b.emulateFocus()
	b.disableJavaScript()
	userID := w.signUp()

	body, _ := json.Marshal(map[string]any{"user_id": userID, "email_address": workEmail, "verified": false})
	req, err := http.NewRequest(http.MethodPost, w.p.URL+"/v1/email_addresses", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.p.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the operator adding %s: status %d", workEmail, resp.StatusCode)
	}

	fits := func(page string) {
		t.Helper()
		if wide := b.eval(overflowScript); wide != "" {
			t.Errorf("%s at %d px: scrolls sideways: %s", page, narrowWidth, wide)
		}
	}
	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	b.open(w.p.URL + "/user")
	item := `.cl-identifier:has(a[aria-label="Verify ` + workEmail + `"])`
	if got := b.text(item + " .cl-tag--warning"); got != "Unverified" {
		b.fatalf("the operator's address is marked %q, want Unverified", got)
	}
	if n := b.count(item + ` a[href$="/primary"]`); n != 0 {
		b.fatalf("the unverified address offers Make primary")
	}
	fits("the account page")

	b.tabTo(`a[aria-label="Verify ` + workEmail + `"]`)
	b.press("press Enter on Verify", kb.Enter)
	b.expectPage("Verify "+workEmail+"? · Portal", "Verify "+workEmail+"?")
	fits("the Verify page")
	b.tabTo(`form[action$="/verify"] button[type="submit"]`)
	b.press("press Enter on Send code", kb.Enter)
	b.expectPage("Verify your email address · Portal", "Verify your email address")
	fits("the code page")
	if got := b.text(".cl-main"); !strings.Contains(got, workEmail) || strings.Contains(got, "a link instead") {
		b.fatalf("the code page says %q: want the address, and no link offered", got)
	}
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, workEmail, 10*time.Second).Code())
	b.press("press Enter in the code field", kb.Enter)
	w.expectNotice("The email address is verified.")
	if n := b.count(`a[aria-label="Make ` + workEmail + ` primary"]`); n != 1 {
		b.fatalf("the verified address offers no Make primary")
	}
	if n := b.count(`a[aria-label="Verify ` + workEmail + `"]`); n != 0 {
		b.fatalf("the verified address still offers Verify")
	}
	fits("the account page after verifying")
}
