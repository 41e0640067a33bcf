package org_test

import (
	"math"
	"testing"
)

// REVIEW3 (defect): ?page= is taken as typed; a huge page overflows
// (page-1)*PerPage into a negative OFFSET, which PostgreSQL refuses
// ("OFFSET must not be negative"), so GET /organizations/:id/requests?page=
// 9223372036854775807 answers 500 for a mistyped URL. Members has the same
// pattern (members.go).
func TestReview3HugeRequestsPageIsNoError(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		if _, _, err := e.svc.MembershipRequests(t.Context(), ada.actor, acme.ID, math.MaxInt); err != nil {
			t.Errorf("requests, page MaxInt: %v", err)
		}
		if _, _, err := e.svc.Members(t.Context(), ada.actor, acme.ID, "", math.MaxInt); err != nil {
			t.Errorf("members, page MaxInt: %v", err)
		}
	})
}
