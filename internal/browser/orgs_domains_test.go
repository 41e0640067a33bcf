package browser

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"
)

// TestVerifiedDomainAndAutomaticInvitation: Ada adds her organization's
// domain on its settings page, verifies it with the code emailed to an
// address there and turns on automatic invitations; Grace then signs up
// with an address at that domain and finds the invitation on
// /switch-organization without any email, joins, and the organization is
// in her list.
func TestVerifiedDomainAndAutomaticInvitation(t *testing.T) {
	t.Parallel()
	w := start(t, clockwork.NewFakeClockAt(time.Now()))
	ada := w.b
	w.signUp()

	ada.open(w.p.URL + "/create-organization")
	ada.typeInto("name-field", "Acme Rockets")
	ada.submit("create the organization", `form[action="/create-organization"]`)
	ada.open(w.p.URL + "/organization")
	orgID := afterPrefix(ada, w.p.URL+"/organizations/")
	ada.expectPage("Acme Rockets · Portal", "Acme Rockets")
	if got := ada.text(`[data-testid=org-domains] h2`); got != "Verified domains" {
		ada.fatalf("the settings' domains section is headed %q", got)
	}

	ada.typeInto("domain-field", "acme-rockets.test")
	ada.submit("add the domain", `form[action="/organizations/`+orgID+`/domains"]`)
	ada.expectURL(w.p.URL + "/organizations/" + orgID + "/domains/orgdmn_")
	ada.expectPage("Domain acme-rockets.test · Portal", "Acme Rockets")
	if got := ada.text(".cl-alert--success"); !strings.HasPrefix(got, "The domain is added.") {
		ada.fatalf("after adding: %q", got)
	}
	ada.typeInto("email_address-field", "it@acme-rockets.test")
	ada.submit("send the code", `form[data-testid=domain-email]`)
	if got := ada.text(`form[data-testid=domain-code] p`); got != "We sent a code to it@acme-rockets.test. Enter it to verify the domain." {
		ada.fatalf("after sending: %q", got)
	}
	ada.typeInto("code-field", w.p.SMTP.WaitFor(t, "it@acme-rockets.test", 10*time.Second).Code())
	ada.submit("enter the code", `form[data-testid=domain-code]`)
	if got := ada.text(".cl-alert--success"); got != "The domain is verified." {
		ada.fatalf("after the code: %q", got)
	}
	if got := ada.text("#domain-name .cl-tag"); got != "Verified" {
		ada.fatalf("the domain is tagged %q", got)
	}
	ada.do("choose automatic invitations", chromedp.Click(chromedp.ID("mode-automatic_invitation")))
	ada.submit("save the enrollment mode", `form[action$="/enrollment"]`)
	if got := ada.text(".cl-alert--success"); got != "Your changes are saved." {
		ada.fatalf("after choosing the mode: %q", got)
	}

	grace := ada.otherContext()
	w.signUpOnPortal(grace, "grace@acme-rockets.test")
	grace.open(w.p.URL + "/switch-organization")
	if got := grace.text(`[data-testid=org-invitation]`); !strings.Contains(got, "Acme Rockets") || !strings.Contains(got, "Member") {
		grace.fatalf("the automatic invitation reads %q", got)
	}
	grace.load("press Join", chromedp.Click(chromedp.CSS(`[data-testid=org-invitation] form[action$="/accept"] button`)))
	if got := grace.text(`button[name="organization_id"][value="` + orgID + `"]`); !strings.Contains(got, "Acme Rockets") {
		grace.fatalf("after joining the list offers %q", got)
	}
	var subjects []string
	for _, m := range w.p.SMTP.Messages() {
		if slices.Contains(m.To, "grace@acme-rockets.test") {
			subjects = append(subjects, m.Subject)
		}
	}
	if len(subjects) != 1 { // the sign-up code only: automatic invitations are not emailed
		grace.fatalf("Grace was emailed %q", subjects)
	}
}
