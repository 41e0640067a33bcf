package account_test

import (
	"testing"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/user"
)

// REVIEW3 (defect, PostgreSQL): d8020ef made the Backend API's
// verification of an address (OperatorAdd/OperatorUpdate → apply) call
// org.Enroll while it holds the user's row FOR UPDATE (lockUser), so it
// takes the user, then the organization. Accepting that person's request
// to join takes the organization (within) and then, inserting the
// membership, the user's row FOR KEY SHARE (the foreign key), which FOR
// UPDATE blocks: the opposite order. When an admin accepts carol's request
// while the Backend API verifies another address of hers at the
// suggesting domain, PostgreSQL breaks the deadlock by failing one of them
// (SQLSTATE 40P01, a 500). The /user path does not deadlock: it holds the
// row by an UPDATE (FOR NO KEY UPDATE), which a foreign key check does not
// wait for.
//
// The interleaving is made certain, not timed: a third transaction holds
// the organization while the acceptance and then the verification queue
// behind it (seen in pg_stat_activity), and then lets go.
func TestReview3AcceptingARequestWhileTheAPIVerifiesAnAddressDoesNotDeadlock(t *testing.T) {
	e := newEnv(t, pgtest.URL(t))
	ctx := t.Context()
	ada := e.person("ada@acme.test", true)
	adaSess := e.signIn(ada.ID)
	adaActor := org.Actor{UserID: ada.ID, SessionID: adaSess.ID, FactorAt: adaSess.FirstFactorAt}
	carol := e.person("carol@acme.test", true)
	carolSess := e.signIn(carol.ID)
	acme := e.org("Acme", ada, adaSess)
	d, err := e.orgs.AddDomain(ctx, adaActor, acme.ID, "acme.test")
	if err != nil || !d.Verified() {
		t.Fatalf("add acme.test: %+v, %v", d, err)
	}
	if _, err := e.orgs.SetEnrollmentMode(ctx, adaActor, acme.ID, d.ID, org.AutomaticSuggestion, false); err != nil {
		t.Fatal(err)
	}
	list, err := e.orgs.Suggestions(ctx, carol.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("carol's suggestions: %+v, %v", list, err)
	}
	carolActor := org.Actor{UserID: carol.ID, SessionID: carolSess.ID, FactorAt: carolSess.FirstFactorAt}
	if _, err := e.orgs.RequestToJoin(ctx, carolActor, list[0].ID); err != nil {
		t.Fatal(err)
	}

	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- e.st.InTx(ctx, func(q *store.Q) error {
			if _, err := q.LockOrganization(ctx, acme.ID); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	accepted := make(chan error, 1)
	go func() { accepted <- e.orgs.AcceptRequest(ctx, adaActor, acme.ID, list[0].ID) }()
	pgtest.WaitForLockWaiters(t, e.st.DB(), 1)
	verified := make(chan error, 1)
	go func() {
		_, err := e.svc.OperatorAdd(ctx, carol.ID, user.Email, "carol.b@acme.test", account.IdentifierChange{Verified: new(true)})
		verified <- err
	}()
	pgtest.WaitForLockWaiters(t, e.st.DB(), 2)
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; err != nil {
		t.Errorf("accepting carol's request: %v", err)
	}
	if err := <-verified; err != nil {
		t.Errorf("verifying carol's second address through the Backend API: %v", err)
	}
}
