package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// A PostgreSQL that takes no writes — a standby a failover left the
// portal pointed at, here a session made read-only — is a database that
// cannot write, as a full disk is; other failures are not.
func TestCannotWriteOnAReadOnlyPostgres(t *testing.T) {
	url := pgtest.URL(t)
	s, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := store.Open(t.Context(), url+"&default_transaction_read_only=on")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	err = ro.Q.CreateUser(t.Context(), newUser("ro@example.com"))
	if err == nil || !store.CannotWrite(fmt.Errorf("create: %w", err)) {
		t.Errorf("a write on a read-only database: CannotWrite(%v) = false", err)
	}
	if _, err := ro.Q.UserByID(t.Context(), "user_none"); store.CannotWrite(err) {
		t.Errorf("a read on it: CannotWrite(%v) = true", err)
	}
	if store.CannotWrite(errors.New("disk is full")) {
		t.Error("an error that is not the database's counts")
	}
}
