package oauthtoken

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// A request waiting for an account's refresh lock while another holds it
// stops waiting when its context ends (the client went, or its deadline
// passed), with the context's error and without the lock; the holder's
// release then lets the next request take it.
func TestLockWaitEndsWithTheContext(t *testing.T) {
	var s Service
	const account = "eac_1"
	unlock, err := s.lock(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}

	parent, cancel := context.WithCancel(context.Background())
	ctx := &watched{Context: parent, waiting: make(chan struct{})}
	waited := make(chan error, 1)
	go func() {
		release, err := s.lock(ctx, account)
		if release != nil {
			release()
		}
		waited <- err
	}()
	<-ctx.waiting // it waits on the stripe, watching ctx
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Errorf("waiter cancelled while the stripe was held: %v, want context.Canceled", err)
	}

	// The stripe is still the holder's: a waiter gets it once released.
	got := make(chan error, 1)
	go func() {
		release, err := s.lock(context.Background(), account)
		if err == nil {
			release()
		}
		got <- err
	}()
	unlock()
	if err := <-got; err != nil {
		t.Errorf("after the holder released the stripe: %v", err)
	}
}

// watched is a context that tells, by closing waiting, when it is first
// watched for its end: a lock watches it only while it waits.
type watched struct {
	context.Context
	waiting chan struct{}
	once    sync.Once
}

func (w *watched) Done() <-chan struct{} {
	w.once.Do(func() { close(w.waiting) })
	return w.Context.Done()
}
