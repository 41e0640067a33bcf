package mfa_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/portalhq/portal/internal/mfa"
	"github.com/portalhq/portal/internal/slots"
)

// REQ-PW-09: imported bcrypt digests are compared only in one of the
// slots given. With every slot taken, a backup code against a digest is
// not checked at all — the caller is told to try again — however many the
// user has, while the portal's own argon2id codes never wait; a request
// that ended while waiting checks nothing either. Once a slot is free the
// same code matches, and the slot is given back.
func TestCheckBackupCodeBoundsDigestChecks_REQ_PW_09(t *testing.T) {
	digest, err := bcrypt.GenerateFromPassword([]byte("wxyz-9876"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	plain, own, err := mfa.GenerateBackupCodes(1)
	if err != nil {
		t.Fatal(err)
	}
	stored := []string{own[0], string(digest)}
	bounded := slots.New(1, time.Millisecond)
	ctx := context.Background()

	if err := bounded.Enter(ctx); err != nil { // another check under way
		t.Fatal(err)
	}
	if _, ok, err := mfa.CheckBackupCode(ctx, "wxyz-9876", stored, bounded); !errors.Is(err, slots.ErrBusy) || ok {
		t.Errorf("a digest with every slot taken: %v, %v; want ErrBusy", ok, err)
	}
	if i, ok, err := mfa.CheckBackupCode(ctx, plain[0], own, bounded); err != nil || !ok || i != 0 {
		t.Errorf("the portal's own code with every slot taken: %d, %v, %v; want it matched", i, ok, err)
	}
	bounded.Leave()

	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := mfa.CheckBackupCode(ended, "wxyz-9876", stored, bounded); !errors.Is(err, slots.ErrBusy) {
		t.Errorf("a request that ended: %v, want ErrBusy", err)
	}
	if i, ok, err := mfa.CheckBackupCode(ctx, " wxyz-9876 ", stored, bounded); err != nil || !ok || i != 1 {
		t.Errorf("with a slot free: %d, %v, %v; want the digest matched", i, ok, err)
	}
	if err := bounded.Enter(ctx); err != nil {
		t.Errorf("the slot was not given back: %v", err)
	}
}
