package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// DELETE /v1/organizations/{id} writes organizationDomain.deleted for each
// of the organization's domains, before organization.deleted.
func TestDeletingAnOrganizationWritesItsDomainsDeletion(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var o struct{ ID string }
	if r := api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme"}, &o); r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var ids []string
	for _, name := range []string{"acme.test", "beta.test"} {
		var d struct{ ID string }
		if r := api(t, p, http.MethodPost, "/v1/organizations/"+o.ID+"/domains", map[string]any{"name": name}, &d); r.Status != http.StatusOK {
			t.Fatalf("add %s: %d %s", name, r.Status, r.Body)
		}
		ids = append(ids, d.ID)
	}
	if r := api(t, p, http.MethodDelete, "/v1/organizations/"+o.ID, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	orgDeleted := eventsOf(t, p, o.ID)
	last := orgDeleted[len(orgDeleted)-1]
	if last.Type != events.OrganizationDeleted {
		t.Fatalf("events of the organization = %v", eventTypes(orgDeleted))
	}
	for _, id := range ids {
		evs := eventsOf(t, p, id)
		if got := eventTypes(evs); !slices.Equal(got, []string{events.DomainCreated, events.DomainDeleted}) {
			t.Errorf("events of domain %s = %v", id, got)
			continue
		}
		if evs[1].Seq > last.Seq || !strings.Contains(string(evs[1].Data), `"deleted":true`) {
			t.Errorf("organizationDomain.deleted = %+v (organization.deleted is #%d)", evs[1], last.Seq)
		}
	}
}
