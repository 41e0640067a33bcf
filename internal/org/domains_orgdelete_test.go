package org_test

import (
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
)

// Deleting an organization, on its page or through the Backend API,
// deletes its domains and writes organizationDomain.deleted for each,
// verified or not, in the same transaction and before organization.deleted,
// as removing one by itself does: a webhook consumer mirroring domains
// learns they are gone.
func TestDeletingAnOrganizationDeletesItsDomains(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		e.addEmail(ada, "ada@beta.test", true)
		acme, beta := e.create(ada, "Acme"), e.create(ada, "Beta")
		acmeDomains := []*org.Domain{e.domain(ada, acme, "acme.test"), e.domain(ada, acme, "unverified.test")}
		betaDomain := e.domain(ada, beta, "beta.test")

		if err := e.svc.Delete(ctx, ada.actor, acme.ID, "Acme", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Admin().Delete(ctx, beta.ID); err != nil {
			t.Fatal(err)
		}
		for _, d := range append(acmeDomains, betaDomain) {
			if got := e.eventTypes(d.ID); !slices.Equal(got, []string{events.DomainCreated, events.DomainDeleted}) {
				t.Errorf("events of %s = %v, want its creation and deletion", d.Name, got)
			}
			if _, err := e.st.Q.DomainByID(ctx, d.ID); err == nil {
				t.Errorf("%s is still stored", d.Name)
			}
		}
		// Each domain's deletion comes before its organization's.
		seen := map[string]bool{}
		for _, ev := range e.allEvents() {
			switch ev.Type {
			case events.DomainDeleted:
				seen[ev.ObjectID] = true
			case events.OrganizationDeleted:
				want := acmeDomains
				if ev.ObjectID == beta.ID {
					want = []*org.Domain{betaDomain}
				}
				for _, d := range want {
					if !seen[d.ID] {
						t.Errorf("organization.deleted of %s came before organizationDomain.deleted of %s", ev.ObjectID, d.Name)
					}
				}
			}
		}
	})
}
