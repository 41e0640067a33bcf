package org_test

import (
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/org"
)

// REVIEW3 (defect): a suggestion kept when its own domain stops
// suggesting (because another suggesting domain of the organization still
// covers the person) is never withdrawn afterwards. WithdrawSuggestionsAt (now WithdrawUncoveredSuggestions)
// selects suggestions by the domain of the address they were made for, so
// when the second domain stops too, the suggestion, made for an address at
// the first, is not matched: the organization stays suggested, and the
// person can still ask to join it, though none of its domains suggests it
// any more (README: "When a domain stops suggesting … the suggestions it
// made that nobody asked for are withdrawn").
func TestReview3SuggestionKeptByAnotherDomainIsWithdrawnWhenThatOneStops(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		e.addEmail(ada, "ada@acme-labs.test", true)
		acme := e.create(ada, "Acme")
		frank := e.person("frank@acme.test")
		e.addEmail(frank, "frank@acme-labs.test", true)

		first := e.suggesting(ada, acme, "acme.test") // the suggestion is made for frank@acme.test
		second := e.suggesting(ada, acme, "acme-labs.test")
		if got := e.suggested(frank); !slices.Equal(got, []string{"Acme frank@acme.test pending"}) {
			t.Fatalf("frank is suggested %q", got)
		}
		// acme.test stops; acme-labs.test still covers frank: kept, as documented.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, first.ID, org.ManualInvitation, false); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(frank); len(got) != 1 {
			t.Fatalf("while acme-labs.test suggests, frank is suggested %q", got)
		}
		// Now acme-labs.test stops too: nothing of Acme suggests it to frank.
		if err := e.svc.RemoveDomain(ctx, ada.actor, acme.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(frank); len(got) != 0 {
			t.Errorf("no domain of Acme suggests it any more, yet frank is suggested %q", got)
		}
		list, err := e.svc.Suggestions(ctx, frank.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, sg := range list {
			if _, err := e.svc.RequestToJoin(ctx, frank.actor, sg.ID); err == nil {
				t.Errorf("frank asked to join Acme through a suggestion no domain stands behind")
			}
		}
	})
}
