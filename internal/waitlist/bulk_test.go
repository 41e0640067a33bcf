package waitlist_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/waitlist"
)

// CreateMany (POST /v1/waitlist_entries/bulk) answers every address's
// entry in the order asked: new ones created with their event and, when
// asked, their confirmation; one on the list already unchanged and not
// emailed again.
func TestCreateMany(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.create("bob@example.com")
		got, err := e.svc.CreateMany(t.Context(), []waitlist.CreateInput{
			{Email: "Carol@Example.com", Notify: true}, {Email: "bob@example.com", Notify: true}, {Email: "dave@example.com"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var emails []string
		for _, en := range got {
			emails = append(emails, en.Email)
		}
		if want := []string{"carol@example.com", "bob@example.com", "dave@example.com"}; !slices.Equal(emails, want) {
			t.Fatalf("entries %v, want %v", emails, want)
		}
		if got[1].ID != bob.ID || !got[1].UpdatedAt.Equal(bob.UpdatedAt) {
			t.Errorf("bob's entry came back as %+v, want his own unchanged", got[1])
		}
		if got[0].Status != waitlist.Pending || got[2].Status != waitlist.Pending || got[0].ID == got[2].ID {
			t.Errorf("new entries %+v and %+v", got[0], got[2])
		}
		if mails := e.mail.all(); len(mails) != 1 || mails[0].to != "carol@example.com" || mails[0].kind != "joined" {
			t.Errorf("emails %+v; want carol's confirmation only (bob is on the list, dave not notified)", mails)
		}
		for _, en := range []*waitlist.Entry{got[0], got[2]} {
			if evs := domaintest.EventTypes(t, e.st.Q, en.ID); !slices.Equal(evs, []string{created}) {
				t.Errorf("%s: events %v", en.Email, evs)
			}
		}
		if evs := domaintest.EventTypes(t, e.st.Q, bob.ID); !slices.Equal(evs, []string{created}) {
			t.Errorf("bob: events %v, want his one created", evs)
		}
		if n := len(e.all()); n != 3 {
			t.Errorf("%d entries stored, want 3", n)
		}
	})
}

// One refusal refuses the whole request, names the entry at fault and
// stores none of the others; a failed confirmation keeps the entries, so
// asking again answers them and sends nothing.
func TestCreateManyAllOrNone(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.user("ada@example.com")
		many := make([]waitlist.CreateInput, waitlist.MaxBulk+1)
		for i := range many {
			many[i] = waitlist.CreateInput{Email: fmt.Sprintf("p%d@example.com", i)}
		}
		for name, tc := range map[string]struct {
			in        []waitlist.CreateInput
			code      apperr.Code
			inMessage string
		}{
			"none":        {nil, apperr.Invalid, "between 1 and 50"},
			"too many":    {many, apperr.Invalid, "between 1 and 50"},
			"malformed":   {[]waitlist.CreateInput{{Email: "new@example.com"}, {Email: "new2@example.com"}, {Email: "nope"}}, apperr.Invalid, "Entry 3 of 3: "},
			"twice":       {[]waitlist.CreateInput{{Email: "new@example.com"}, {Email: "NEW@example.com"}}, apperr.Invalid, "Entry 2 of 2: new@example.com is given twice"},
			"has account": {[]waitlist.CreateInput{{Email: "new@example.com", Notify: true}, {Email: "Ada@example.com"}}, apperr.Conflict, "Entry 2 of 2: ada@example.com already has an account"},
		} {
			_, err := e.svc.CreateMany(t.Context(), tc.in)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != tc.code || !strings.Contains(ae.Message, tc.inMessage) {
				t.Errorf("%s: %v, want %s containing %q", name, err, tc.code, tc.inMessage)
			}
		}
		if n, mails := len(e.all()), e.mail.all(); n != 0 || len(mails) != 0 {
			t.Fatalf("after refusals: %d entries, emails %+v; want none", n, mails)
		}

		e.mail.fail(true)
		_, err := e.svc.CreateMany(t.Context(), []waitlist.CreateInput{{Email: "x@example.com", Notify: true}, {Email: "y@example.com", Notify: true}})
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Unavailable || !strings.Contains(ae.Message, "2 of the confirmation emails") {
			t.Errorf("unsendable confirmations: %v", err)
		}
		e.mail.fail(false)
		again, err := e.svc.CreateMany(t.Context(), []waitlist.CreateInput{{Email: "x@example.com", Notify: true}, {Email: "y@example.com", Notify: true}})
		if err != nil || len(again) != 2 || len(e.all()) != 2 || len(e.mail.all()) != 0 {
			t.Errorf("asking again: %v, %d entries stored, %d emails; want the two kept entries and no email", err, len(e.all()), len(e.mail.all()))
		}
	})
}
