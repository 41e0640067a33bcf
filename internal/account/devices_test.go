package account_test

import (
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/session"
)

// REQ-SES-05: a person lists their devices and signs one out (session.revoked);
// REQ-AC-02: another user's session, or one already ended, is not found.
func TestSignOutAnotherDevice_REQ_SES_05_REQ_AC_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com", true), e.person("bob@example.com", true)
		here := e.signIn(ada.ID)
		e.clock.Advance(time.Minute)
		laptop, bobs := e.signIn(ada.ID), e.signIn(bob.ID)

		list, err := e.svc.Devices(ctx, here)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].SessionID != here.ID || !list[0].This || list[1].SessionID != laptop.ID || list[1].This {
			t.Fatalf("devices %+v: want this session first, then the laptop", list)
		}
		if list[1].Browser != "Firefox 127" || list[1].IP != meta.IP {
			t.Errorf("device shown as %q from %s", list[1].Browser, list[1].IP)
		}

		wantErr(t, "signing out this device", e.svc.SignOutDevice(ctx, here, here.ID), apperr.Invalid, "account.error.this_device")
		if err := e.svc.SignOutDevice(ctx, here, laptop.ID); err != nil {
			t.Fatal(err)
		}
		if e.session(laptop.ID).Status != session.Revoked || !slices.Contains(e.eventTypes(laptop.ID), events.SessionRevoked) {
			t.Errorf("laptop session %s, events %v", e.session(laptop.ID).Status, e.eventTypes(laptop.ID))
		}
		if list, _ := e.svc.Devices(ctx, here); len(list) != 1 {
			t.Errorf("%d devices after signing one out, want 1", len(list))
		}

		for what, sid := range map[string]string{"the ended laptop": laptop.ID, "Bob's session": bobs.ID, "an unknown ID": "sess_nope"} {
			wantErr(t, what, e.svc.SignOutDevice(ctx, here, sid), apperr.NotFound, "error.session.no_device")
		}
		if e.session(bobs.ID).Status != session.Active || e.session(here.ID).Status != session.Active {
			t.Error("Bob's session or this one ended")
		}
	})
}

func TestSignOutOthersCountsThem(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", true)
		here, a, b := e.signIn(ada.ID), e.signIn(ada.ID), e.signIn(ada.ID)
		n, err := e.svc.SignOutOthers(t.Context(), here)
		if err != nil || n != 2 {
			t.Fatalf("SignOutOthers = %d, %v; want 2", n, err)
		}
		for _, s := range []*session.Session{a, b} {
			if e.session(s.ID).Status != session.Revoked {
				t.Errorf("session %s is %s", s.ID, e.session(s.ID).Status)
			}
		}
		if e.session(here.ID).Status != session.Active {
			t.Error("this session ended")
		}
	})
}
