package browser

import (
	"net/url"
	"testing"

	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestInvitedSignUpPutsTheFocusInTheFirstEmptyField: Kim follows her
// invitation to an organization; sign-up opens with her address filled,
// and the focus waits in the first field left to fill (the password, where
// the instance asks only the address and the password), as Clerk's does,
// not in the address she would have to Tab out of. A link that fills the
// address does the same; with nothing filled, the first field has it.
// (Where names are asked they come first, empty, and First name has it:
// the person starts at the top of the form.)
func TestInvitedSignUpPutsTheFocusInTheFirstEmptyField(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_FIELDS": "email_address,password"}})
	b := w.b
	b.emulateFocus()
	ada := apiPost(t, w.p, "/v1/users", `{"email_address":["`+email+`"],"first_name":"Ada","password":"`+password+`","skip_legal_checks":true}`)
	orgID := apiPost(t, w.p, "/v1/organizations", `{"name":"Acme Rockets","created_by":"`+ada+`"}`)
	apiPost(t, w.p, "/v1/organizations/"+orgID+"/invitations",
		`{"email_address":"`+kimEmail+`","role":"`+org.RoleMember+`","inviter_user_id":"`+ada+`"}`)
	kim := b.otherContext()
	kim.emulateFocus()

	kim.open(w.p.SMTP.WaitFor(t, kimEmail, mailWait).Link())
	kim.expectURL(w.p.URL + "/sign-up?")
	if got := kim.value("#email_address-field"); got != kimEmail {
		kim.fatalf("the address field holds %q, want the invited %s", got, kimEmail)
	}
	kim.expectFocusOn("password-field")

	b.open(w.p.URL + "/sign-up?" + url.Values{"email_address": {"lin@example.com"}}.Encode())
	b.expectFocusOn("password-field")
	b.open(w.p.URL + "/sign-up")
	b.expectFocusOn("email_address-field")
}
