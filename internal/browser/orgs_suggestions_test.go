package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"
)

// TestSuggestionRequestedAndAccepted: Ada's organization verifies its
// domain with her own address there and turns on automatic suggestions;
// Heidi signs up with an address at that domain and finds the organization
// suggested on /switch-organization, requests to join and reads
// "Requested"; Ada finds the request under "Requests" and accepts it;
// Heidi's list then has the organization to choose.
func TestSuggestionRequestedAndAccepted(t *testing.T) {
	t.Parallel()
	w := start(t, clockwork.NewFakeClockAt(time.Now()))
	ada := w.b
	w.signUpOnPortal(ada, "ada@acme-rockets.test")

	ada.open(w.p.URL + "/create-organization")
	ada.typeInto("name-field", "Acme Rockets")
	ada.submit("create the organization", `form[action="/create-organization"]`)
	ada.open(w.p.URL + "/organization")
	orgID := afterPrefix(ada, w.p.URL+"/organizations/")
	ada.typeInto("domain-field", "acme-rockets.test")
	ada.submit("add the domain", `form[action="/organizations/`+orgID+`/domains"]`)
	if got := ada.text(".cl-alert--success"); got != "The domain is verified." {
		ada.fatalf("after adding the domain with her own address there: %q", got)
	}
	ada.do("choose automatic suggestions", chromedp.Click(chromedp.ID("mode-automatic_suggestion")))
	ada.submit("save the enrollment mode", `form[action$="/enrollment"]`)
	if got := ada.text(".cl-alert--success"); got != "Your changes are saved." {
		ada.fatalf("after choosing the mode: %q", got)
	}

	heidi := ada.otherContext()
	w.signUpOnPortal(heidi, "heidi@acme-rockets.test")
	heidi.open(w.p.URL + "/switch-organization")
	if got := heidi.text(`#org-invitations`); got != "Suggested organizations" {
		heidi.fatalf("the suggestions are headed %q", got)
	}
	if got := heidi.text(`[data-testid=org-suggestion]`); !strings.Contains(got, "Acme Rockets") ||
		!strings.Contains(got, "Suggested for heidi@acme-rockets.test") {
		heidi.fatalf("the suggestion reads %q", got)
	}
	if st := heidi.load("press Request to join", chromedp.Click(chromedp.CSS(`[data-testid=org-suggestion] form[action$="/request"] button`))); st != http.StatusOK {
		heidi.fatalf("requesting answered %d", st)
	}
	heidi.expectURL(w.p.URL + "/switch-organization")
	if got := heidi.text(".cl-alert--success"); !strings.HasPrefix(got, "Your request is sent.") {
		heidi.fatalf("after requesting: %q", got)
	}
	if got := heidi.text(`[data-testid=org-suggestion] [data-testid=requested]`); got != "Requested" {
		heidi.fatalf("the suggestion reads %q after requesting", got)
	}
	if n := heidi.eval(`String(document.querySelectorAll('[data-testid=org-suggestion] form').length)`); n != "0" {
		heidi.fatalf("%s forms left on the requested suggestion", n)
	}

	ada.open(w.p.URL + "/organizations/" + orgID)
	if got := ada.text(`nav a[href^="/organizations/` + orgID + `/requests"]`); got != "Requests (1)" {
		ada.fatalf("the requests tab reads %q", got)
	}
	ada.load("open the requests", chromedp.Click(chromedp.CSS(`nav a[href^="/organizations/`+orgID+`/requests"]`)))
	ada.expectPage("Acme Rockets requests · Portal", "Acme Rockets")
	if got := ada.text(`[data-testid=org-request]`); !strings.Contains(got, "heidi@acme-rockets.test") {
		ada.fatalf("the request reads %q", got)
	}
	ada.submit("accept Heidi's request", `[data-testid=org-request] form[action$="/accept"]`)
	if got := ada.text(".cl-alert--success"); !strings.HasPrefix(got, "The request is accepted") {
		ada.fatalf("after accepting: %q", got)
	}
	if n := ada.eval(`String(document.querySelectorAll('[data-testid=org-request]').length)`); n != "0" {
		ada.fatalf("%s requests left after accepting", n)
	}

	heidi.open(w.p.URL + "/switch-organization")
	if got := heidi.text(`button[name="organization_id"][value="` + orgID + `"]`); !strings.Contains(got, "Acme Rockets") ||
		!strings.Contains(got, "Member") {
		heidi.fatalf("after being accepted the list offers %q", got)
	}
	if n := heidi.eval(`String(document.querySelectorAll('[data-testid=org-suggestion]').length)`); n != "0" {
		heidi.fatalf("%s suggestions left after joining", n)
	}
}
