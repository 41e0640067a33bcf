package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/i18n"
)

// The consent sentence links exactly the documents configured, in every
// shipped language, each once and in a new tab; nothing of the markers
// that place the links is left in the page.
func TestConsentSentenceLinksTheConfiguredDocuments(t *testing.T) {
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	const terms, privacy = "https://acme.example/terms", "https://acme.example/privacy?v=2&x=1"
	for _, loc := range cat.Locales() {
		for _, l := range []LegalConsent{{TermsURL: terms, PrivacyURL: privacy}, {TermsURL: terms}, {PrivacyURL: privacy}} {
			p := page("x")
			p.I18n = cat.For(loc)
			doc, html := render(t, SignUpPage(SignUp{Page: p, Action: "/sign-up", ShowEmail: true, Legal: &l}))
			if strings.Contains(html, "\x00") || strings.Contains(html, "{{") {
				t.Errorf("%s %+v: a marker or placeholder is left in the page", loc, l)
			}
			label := doc.Find(`label[for="legal_accepted-field"]`)
			var hrefs []string
			label.Find("a").Each(func(_ int, a *goquery.Selection) {
				href, _ := a.Attr("href")
				target, _ := a.Attr("target")
				rel, _ := a.Attr("rel")
				if target != "_blank" || rel != "noopener" || strings.TrimSpace(a.Text()) == "" {
					t.Errorf("%s: link %q target %q rel %q text %q", loc, href, target, rel, a.Text())
				}
				hrefs = append(hrefs, href)
			})
			var want []string
			for _, u := range []string{l.TermsURL, l.PrivacyURL} {
				if u != "" {
					want = append(want, u)
				}
			}
			if strings.Join(hrefs, " ") != strings.Join(want, " ") { // every shipped language names the terms first
				t.Errorf("%s %+v: links %v, want %v", loc, l, hrefs, want)
			}
			box := doc.Find(`input#legal_accepted-field[type="checkbox"][name="legal_accepted"][required]`)
			if box.Length() != 1 {
				t.Errorf("%s: no required checkbox tied to the label", loc)
			}
		}
	}
}

// A checked box stays checked; its message is tied to it.
func TestConsentBoxKeepsItsStateAndMessage(t *testing.T) {
	doc, _ := render(t, SignUpPage(SignUp{Page: page("x"), Action: "/sign-up", ShowEmail: true,
		Legal: &LegalConsent{TermsURL: "https://acme.example/terms", Checked: true}}))
	if _, on := doc.Find("#legal_accepted-field").Attr("checked"); !on {
		t.Error("a ticked box came back unticked")
	}
	doc, _ = render(t, SignUpPage(SignUp{Page: page("x"), Action: "/sign-up", ShowEmail: true,
		Legal: &LegalConsent{TermsURL: "https://acme.example/terms"}, Errors: Errors{"legal_accepted": "Tick it."}}))
	box := doc.Find("#legal_accepted-field")
	if by, _ := box.Attr("aria-describedby"); by != "legal_accepted-error" || doc.Find("#legal_accepted-error").Text() != "Tick it." {
		t.Errorf("box described by %q, message %q", by, doc.Find("#legal_accepted-error").Text())
	}
	if _, on := box.Attr("checked"); on {
		t.Error("an unticked box came back ticked")
	}
}
