package mfa

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// REQ-PW-09: imported bcrypt digests are compared only in a slot of the
// gate. With every slot taken, a backup code against a digest is not
// checked at all — the caller is told to try again — however many the
// user has, while the portal's own argon2id codes never wait; a request
// that ended while waiting checks nothing either. Once a slot is free the
// same code matches.
func TestBcryptGateBoundsDigestChecks_REQ_PW_09(t *testing.T) {
	digest, err := bcrypt.GenerateFromPassword([]byte("wxyz-9876"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	plain, own, err := GenerateBackupCodes(1)
	if err != nil {
		t.Fatal(err)
	}
	stored := []string{own[0], string(digest)}
	g := NewBcryptGate(1, time.Millisecond)
	ctx := context.Background()

	g.slots <- struct{}{} // another check under way
	if _, ok, err := g.Match(ctx, "wxyz-9876", stored); !errors.Is(err, ErrBusy) || ok {
		t.Errorf("a digest with every slot taken: %v, %v; want ErrBusy", ok, err)
	}
	if i, ok, err := g.Match(ctx, plain[0], own); err != nil || !ok || i != 0 {
		t.Errorf("the portal's own code with every slot taken: %d, %v, %v; want it matched", i, ok, err)
	}
	<-g.slots

	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := g.Match(ended, "wxyz-9876", stored); !errors.Is(err, ErrBusy) {
		t.Errorf("a request that ended: %v, want ErrBusy", err)
	}
	if i, ok, err := g.Match(ctx, " wxyz-9876 ", stored); err != nil || !ok || i != 1 {
		t.Errorf("with a slot free: %d, %v, %v; want the digest matched", i, ok, err)
	}
	if len(g.slots) != 0 {
		t.Errorf("%d slots left taken after the checks", len(g.slots))
	}
}
