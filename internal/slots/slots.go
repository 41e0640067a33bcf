// Package slots bounds how many costly computations run at once (password
// hashes, imported bcrypt digests of backup codes): past the bound a caller
// waits a while for a slot, then gives up, so that a burst queues and is
// told to try again instead of taking every CPU or all the memory from
// everyone else's requests (REQ-PW-09).
package slots

import (
	"context"
	"errors"
	"time"
)

// ErrBusy means every slot stayed taken for the whole wait, or the
// caller's context ended first.
var ErrBusy = errors.New("slots: every slot stayed taken")

// Slots lets a fixed number of computations run at once. A nil *Slots has
// no bound. It is safe for concurrent use.
type Slots struct {
	c    chan struct{}
	wait time.Duration
}

// New returns Slots for n computations at once (at least 1), each other
// caller waiting at most wait for one.
func New(n int, wait time.Duration) *Slots {
	return &Slots{c: make(chan struct{}, max(n, 1)), wait: wait}
}

// Cap is how many computations run at once at most.
func (s *Slots) Cap() int { return cap(s.c) }

// Enter takes a slot, waiting for one as long as Slots allow and ctx
// lasts; ErrBusy when none came free. Each Enter that succeeds needs its
// Leave.
func (s *Slots) Enter(ctx context.Context) error {
	if s == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ErrBusy
	}
	select {
	case s.c <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.c <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ErrBusy
	}
}

// Leave gives back the slot an Enter took.
func (s *Slots) Leave() {
	if s != nil {
		<-s.c
	}
}
