package browser

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/user"
)

// longAddress is a work address as people have them: one word, with no
// place to break a line.
const longAddress = "firstname.middlename.lastname.department@subdomain.example-company.com"

// sticksOut names the elements of the card's header and text whose words
// reach past their own box (the box fits the card, the text does not), ""
// when none does. The page scrolling sideways at 320 px says the same
// thing on a phone; on a desktop the text runs out of the card unseen by
// that check.
const sticksOut = `[...document.querySelectorAll(".cl-header *, .cl-main p")]
	.filter(el => el.scrollWidth > el.clientWidth + 1)
	.map(el => el.className + ": " + el.textContent.trim().slice(0, 40)).join("; ")`

// brokenWords lists the single-word links and buttons of the account
// page's lists whose word is cut over two lines ("Entferne" / "n").
const brokenWords = `[...document.querySelectorAll(".cl-identifierActions a, .cl-device button")]
	.filter(el => !/\s/.test(el.textContent.trim()))
	.filter(el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length > 1; })
	.map(el => el.textContent.trim()).join(", ")`

// checkboxApart says whether the first checkbox's label starts below the
// box instead of beside it.
const checkboxApart = `(() => {
	const box = document.querySelector(".cl-formField--checkbox input"), label = document.querySelector(".cl-formField--checkbox label");
	return String(label.getBoundingClientRect().top >= box.getBoundingClientRect().bottom);
})()`

// TestAccountPagesFitLongAddressesAndGerman: a person with a long work
// address, on a 320 px phone and on a desktop, in English and German,
// sees it inside the card on the code step of adding it (the subtitle
// names it), on the account page and on the confirmation pages whose
// heading names it; the list's "Entfernen" is not cut in two, and the
// password page's "Sign out of all other devices" sits beside its box.
func TestAccountPagesFitLongAddressesAndGerman(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	w.signUp()

	fits := func(page string) {
		t.Helper()
		for _, v := range [][2]int64{{narrowWidth, narrowHeight}, {desktopWidth, desktopHeight}} {
			b.do("viewport", chromedp.EmulateViewport(v[0], v[1]))
			if wide := b.eval(overflowScript); wide != "" {
				t.Errorf("%s at %d px: scrolls sideways: %s", page, v[0], wide)
			}
			if out := b.eval(sticksOut); out != "" {
				t.Errorf("%s at %d px: text runs out of its box: %s", page, v[0], out)
			}
		}
		b.do("narrow again", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	}

	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	b.open(w.p.URL + "/user/email-addresses/new")
	b.typeInto("email_address-field", longAddress)
	b.submit("add the long address", `form[action="/user/email-addresses"]`)
	b.expectPage("Verify your email address · Portal", "Verify your email address")
	fits("the code step")
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, longAddress, 10*time.Second).Code())
	b.submit("submit the code", `form[action="/user/verify-identifier"]`)
	w.expectNotice("The email address is verified")
	fits("the account page")

	b.open(w.p.URL + "/user?locale=de")
	fits("the German account page")
	if got := b.eval(brokenWords); got != "" {
		t.Errorf("at 320 px in German, a word is cut over two lines: %s", got)
	}
	b.load("click Als primär festlegen", chromedp.Click(chromedp.CSS(`.cl-identifier:last-child a[href$="/primary"]`)))
	fits("make it primary")
	b.open(w.p.URL + "/user")
	b.load("click Entfernen", chromedp.Click(chromedp.CSS(`.cl-identifier:last-child a[href$="/remove"]`)))
	fits("remove it")

	b.open(w.p.URL + "/user/password")
	b.expectPage("Passwort · Portal", "Passwort ändern")
	if b.eval(checkboxApart) == "true" {
		t.Errorf("at 320 px in German, the label of the box to sign out the other devices starts below the box")
	}
}

// headingLines is the page's title as it is laid out, line by line; a
// line broken at a space ends with it.
const headingLines = `JSON.stringify((() => {
	const lines = [];
	let top = null;
	const walk = document.createTreeWalker(document.querySelector("h1"), NodeFilter.SHOW_TEXT);
	for (let n; (n = walk.nextNode());) {
		for (let i = 0; i < n.length; i++) {
			const r = document.createRange();
			r.setStart(n, i);
			r.setEnd(n, i + 1);
			const box = r.getClientRects()[0];
			if (box && n.data[i].trim() && Math.round(box.top) !== top) {
				top = Math.round(box.top);
				lines.push("");
			}
			lines[lines.length - 1] += n.data[i];
		}
	}
	return lines;
})())`

// TestConfirmationTitlesBreakAddressesSensibly: "Verify
// ada.unverified@example.com?" on a phone or a desktop never leaves its
// "?" on a line of its own, nor cuts the address inside a word
// ("exampl" / "e.com?"): it breaks at spaces, after the "@" or before a
// dot of the address.
func TestConfirmationTitlesBreakAddressesSensibly(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	userID := w.signUp()
	punctuationOnly := regexp.MustCompile(`^[\p{P}\s]+$`)
	for _, address := range []string{"ada.unverified@example.com", longAddress} {
		now := time.Now()
		i := user.Identifier{Kind: user.Email, Value: address, ID: id.New(id.Identifier), UserID: userID, CreatedAt: now, UpdatedAt: now}
		if err := w.p.Store.Q.CreateIdentifier(context.Background(), i); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/verify", "/remove"} {
			b.open(w.p.URL + "/user/email-addresses/" + i.ID + path)
			for width := int64(300); width <= 440; width += 4 {
				b.do("viewport", chromedp.EmulateViewport(width, narrowHeight))
				var lines []string
				if err := json.Unmarshal([]byte(b.eval(headingLines)), &lines); err != nil || len(lines) == 0 {
					b.fatalf("the title's lines: %v", err)
				}
				for k, l := range lines {
					if punctuationOnly.MatchString(l) {
						t.Errorf("%s at %d px: a line of the title is only %q: %q", path, width, l, lines)
					}
					if k > 0 {
						prev := lines[k-1]
						if !strings.HasSuffix(prev, " ") && !strings.HasSuffix(prev, "@") && !strings.HasSuffix(prev, "-") && !strings.HasPrefix(l, ".") {
							t.Errorf("%s at %d px: the title breaks inside a word: %q", path, width, lines)
						}
					}
				}
			}
		}
	}
	b.do("desktop", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	if got := b.eval(headingLines); strings.HasSuffix(got, `"?"]`) {
		t.Errorf("on a desktop the title ends with the \"?\" alone: %s", got)
	}
}
