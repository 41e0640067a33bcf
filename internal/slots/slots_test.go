package slots_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/slots"
)

// Slots let n computations in at once; the next waits, then gives up
// (REQ-PW-09); a context that ended gets no slot; nil has no bound.
func TestSlots_REQ_PW_09(t *testing.T) {
	ctx := context.Background()
	s := slots.New(2, time.Millisecond)
	if s.Cap() != 2 || slots.New(0, 0).Cap() != 1 {
		t.Fatalf("Cap = %d and %d, want 2 and 1", s.Cap(), slots.New(0, 0).Cap())
	}
	for i := range 2 {
		if err := s.Enter(ctx); err != nil {
			t.Fatalf("slot %d: %v", i+1, err)
		}
	}
	if err := s.Enter(ctx); !errors.Is(err, slots.ErrBusy) {
		t.Errorf("a third with two taken: %v, want ErrBusy", err)
	}
	s.Leave()
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Enter(ended); !errors.Is(err, slots.ErrBusy) {
		t.Errorf("an ended context with a slot free: %v, want ErrBusy", err)
	}
	if err := s.Enter(ctx); err != nil {
		t.Errorf("a slot given back: %v", err)
	}
	var none *slots.Slots
	if err := none.Enter(ended); err != nil {
		t.Errorf("nil Slots: %v, want no bound", err)
	}
	none.Leave()
}
