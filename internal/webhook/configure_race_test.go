package webhook_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/webhook"
)

// lookFirst holds each portal's first look for the configured endpoint
// until every portal has looked: all of them find none and create it.
type lookFirst struct {
	webhook.Store
	looked *sync.WaitGroup
	first  *atomic.Bool
}

func (s lookFirst) WebhookEndpoint(ctx context.Context, id string) (*webhook.Endpoint, error) {
	e, err := s.Store.WebhookEndpoint(ctx, id)
	if s.first.CompareAndSwap(true, false) {
		s.looked.Done()
		s.looked.Wait()
	}
	return e, err
}

// Several machines started at once on one PostgreSQL database, with
// PORTAL_WEBHOOK_URL set and no endpoint for it yet (its first deploy), all
// start: the ones that lose the race to create the endpoint bring it in line
// instead. Before, every one but the first stopped at start-up with
// "portal: conflict".
func TestConfiguredEndpointMachinesStartingTogether(t *testing.T) {
	h := newHarness(t, pgtest.URL(t))
	const machines = 3
	var looked sync.WaitGroup
	looked.Add(machines)
	errs := make(chan error, machines)
	for range machines {
		first := &atomic.Bool{}
		first.Store(true)
		tx := store.Tx[webhook.Store](h.st)
		svc := &webhook.Service{Clock: h.clock, Store: h.st.Q, AllowPrivate: true,
			InTx: func(ctx context.Context, fn func(webhook.Store) error) error {
				return tx(ctx, func(s webhook.Store) error { return fn(lookFirst{s, &looked, first}) })
			}}
		go func() { errs <- svc.Configure(t.Context(), h.rcv.URL(), "") }()
	}
	for range machines {
		if err := <-errs; err != nil {
			t.Errorf("a machine did not start: %v", err)
		}
	}
	list, _, err := h.svc.List(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != webhook.ConfiguredID || list[0].URL != h.rcv.URL() || list[0].Disabled {
		t.Fatalf("endpoints = %+v, want the configured one, once", list)
	}
}
