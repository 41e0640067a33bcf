package signup_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
)

// A sign-up that began from an application invitation takes it up as the
// account is created: the account has the invitation's public metadata from
// its first event (user.created), and the invitation is accepted by it. An
// invitation to another address is left alone, and the sign-up goes ahead.
func TestSignUpTakesUpItsInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		invite := func(email string) *invitation.Invitation {
			now := e.clock.Now()
			inv := &invitation.Invitation{ID: id.New(id.Invitation), Email: email, PublicMetadata: json.RawMessage(`{"plan":"pro"}`),
				TicketHash: invitation.HashTicket(id.Secret(32)), Status: invitation.Pending, ExpiresAt: now.Add(time.Hour),
				CreatedAt: now, UpdatedAt: now}
			if err := e.st.Q.CreateAppInvitation(t.Context(), inv); err != nil {
				t.Fatal(err)
			}
			return inv
		}
		for _, tc := range []struct {
			name, invited string
			taken         bool
		}{{"the invited address", "bob@example.com", true}, {"another address", "carol@example.com", false}} {
			t.Run(tc.name, func(t *testing.T) {
				inv := invite(tc.invited)
				client := e.client()
				f := e.mustStart(client, signup.Form{Email: "bob@example.com", Password: pw, InvitationID: inv.ID})
				if _, err := e.verify(client, f.ID, signUpCode(t, e.mail, "bob@example.com")); err != nil {
					t.Fatal(err)
				}
				u, err := e.st.Q.UserByIdentifier(t.Context(), user.Email, "bob@example.com")
				if err != nil {
					t.Fatal(err)
				}
				stored, err := e.st.Q.AppInvitationByID(t.Context(), inv.ID)
				if err != nil {
					t.Fatal(err)
				}
				evs, err := e.st.Q.EventsOfObject(t.Context(), u.ID)
				if err != nil || len(evs) == 0 || evs[0].Type != events.UserCreated {
					t.Fatalf("events of the new user: %v, %v", evs, err)
				}
				var created user.Object
				if err := json.Unmarshal(evs[0].Data, &created); err != nil {
					t.Fatal(err)
				}
				wantEvents := []string(nil) // made directly in the store: no invitation.created
				if tc.taken {
					wantEvents = []string{events.AppInvitationAccepted}
				}
				if got := e.eventTypes(inv.ID); !slices.Equal(got, wantEvents) {
					t.Errorf("invitation events %v, want %v", got, wantEvents)
				}
				if tc.taken {
					if stored.Status != invitation.Accepted || stored.AcceptedUserID != u.ID ||
						compact(created.PublicMetadata) != `{"plan":"pro"}` {
						t.Errorf("invitation %s by %q; user.created metadata %s", stored.Status, stored.AcceptedUserID, created.PublicMetadata)
					}
				} else if stored.Status != invitation.Pending || compact(created.PublicMetadata) != `{}` {
					t.Errorf("another address's invitation: %s; user.created metadata %s", stored.Status, created.PublicMetadata)
				}
				if err := e.st.Q.DeleteUser(t.Context(), u.ID); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// compact is m without insignificant spaces (PostgreSQL's jsonb adds some).
func compact(m json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, m); err != nil {
		return string(m)
	}
	return b.String()
}
