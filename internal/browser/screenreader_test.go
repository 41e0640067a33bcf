package browser

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestWhatAScreenReaderSays goes through sign-in, the account page and
// deleting the account with the keyboard alone and reads each page as a
// screen reader does, from Chromium's accessibility tree: the page's name
// (its title, said first on every load) and the focused element's role,
// name and description.
//
//   - A form sent back with a mistake looks much as it did; its title
//     says "Error:" first, so the person knows before anything else.
//   - A change made on the account page comes back with its outcome
//     ("Your profile is saved.") focused, so it is said at once: a status
//     message already there when the page loads is no live region to a
//     screen reader.
//   - A page whose code field takes the focus names its notice ("We sent
//     a link too.") in the field's description; a message about the form
//     as a whole, tied to no field, takes the focus itself.
//   - The delete confirmation's field, focused as the page loads, carries
//     what deleting does, which the focus would otherwise skip.
func TestWhatAScreenReaderSays(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{})
	b := w.b
	b.emulateFocus()

	b.open(w.p.URL + "/sign-in")
	b.expectHeard("Sign in · Portal", "textbox", "Email address", "")
	b.keys("ada@localhost") // a browser takes it; the portal wants a dot in the domain
	if st := b.press("submit the address with Enter", kb.Enter); st != http.StatusUnprocessableEntity {
		b.fatalf("a bad address: status %d, want 422", st)
	}
	b.expectHeard("Error: Sign in · Portal", "textbox", "Email address", "Enter a valid email address")

	w.signUpOnPortal(b, email)
	b.open(w.p.URL + "/user")
	b.expectHeard("Your account · Portal", "", "", "")
	b.tabTo("#first_name-field")
	b.keys("Ada")
	b.press("save the profile with Enter", kb.Enter)
	b.expectURL(w.p.URL + "/user?done=profile")
	b.expectHeard("Your account · Portal", "status", "", "Your profile is saved.")
	b.tabTo("#first_name-field") // Tab goes on from the notice into the page

	// Adding an address: asking for a link as well says it was sent, in
	// the code field's description; asking again too soon focuses the
	// message saying why nothing was sent.
	b.open(w.p.URL + "/user/email-addresses/new")
	b.keys("grace@example.com")
	b.press("add the address with Enter", kb.Enter)
	b.expectHeard("Verify your email address · Portal", "textbox", "Verification code", "")
	b.tabTo(`button[value="email_link"]`)
	b.press("ask for a link with Enter", kb.Enter)
	b.expectHeard("Verify your email address · Portal", "textbox", "Verification code",
		"We sent a link too. Open it in this browser, or type the code here.")
	b.tabTo(`button[value="email_link"]`)
	if st := b.press("ask for a link again at once", kb.Enter); st != http.StatusTooManyRequests {
		b.fatalf("a second link at once: status %d, want 429", st)
	}
	b.expectHeard("Error: Verify your email address · Portal", "alert", "", "")
	if got := b.hear().text; !strings.Contains(got, "second") {
		b.fatalf("the focused alert says %q, want the wait", got)
	}

	b.open(w.p.URL + "/user/delete")
	b.expectHeard("Delete account · Portal", "textbox", `Type "Delete account" to confirm`,
		"This deletes your account and everything in it, and signs you out everywhere. It can't be undone.")
	b.keys("delete")
	if st := b.press("confirm with the wrong phrase", kb.Enter); st != http.StatusUnprocessableEntity {
		b.fatalf("the wrong phrase: status %d, want 422", st)
	}
	b.expectHeard("Error: Delete account · Portal", "textbox", `Type "Delete account" to confirm`, "It can't be undone.")
	b.expectFieldError("confirmation")
}

// heard is what a screen reader says of the page and of its focus.
type heard struct {
	page                    string
	role, name, description string
	text                    string // the focused element's own text, for one that is no control
}

// hear reads the page's name and the focused element from Chromium's
// accessibility tree; role, name and description stay empty while the
// focus is on the page itself.
func (b *tab) hear() heard {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	res, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		b.fatalf("accessibility tree: %v", err)
	}
	str := func(v *accessibility.Value) string {
		if v == nil {
			return ""
		}
		var s string
		if err := json.Unmarshal(v.Value, &s); err != nil {
			return string(v.Value)
		}
		return s
	}
	var h heard
	for _, n := range res.Nodes {
		if n.Ignored {
			continue
		}
		role := str(n.Role)
		if role == "RootWebArea" {
			h.page = str(n.Name)
			continue
		}
		for _, p := range n.Properties {
			if p.Name == accessibility.PropertyNameFocused && string(p.Value.Value) == "true" {
				h.role, h.name, h.description = role, str(n.Name), str(n.Description)
			}
		}
	}
	h.text = b.eval(`document.activeElement === document.body ? "" : document.activeElement.innerText.trim()`)
	return h
}

// expectHeard waits for the page to settle (Chromium applies autofocus a
// moment after the load event), then checks its title, and what is said
// of the focus: its role, name, and a description (or, for an element
// that is no control, its text) that contains description. Empty role
// and name: the focus is on the page itself.
func (b *tab) expectHeard(page, role, name, description string) {
	b.t.Helper()
	var h heard
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		h = b.hear()
		said := h.description
		if role == "status" || role == "alert" {
			said = h.text
		}
		if h.page == page && h.role == role && h.name == name && strings.Contains(said, description) {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	b.fatalf("a screen reader says page %q, focus: %s %q, description %q, text %q;\nwant page %q, focus: %s %q, description or text with %q",
		h.page, h.role, h.name, h.description, h.text, page, role, name, description)
}

// axNode is the role and accessible name a screen reader gives the element
// css finds, as Chromium computes them, with its other accessibility
// properties by name ("pressed", "live", "atomic"…).
func (b *tab) axNode(css string) (role, name string, props map[string]string) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(css)))
	if err != nil {
		b.fatalf("find %s: %v", css, err)
	}
	only := false
	res, err := chromedp.Call(ctx, accessibility.GetPartialAXTree,
		accessibility.GetPartialAXTreeParams{BackendNodeID: nodes[0].BackendNodeID, FetchRelatives: &only})
	if err != nil || len(res.Nodes) == 0 {
		b.fatalf("accessibility node of %s: %v", css, err)
	}
	n := res.Nodes[0]
	str := func(v *accessibility.Value) string {
		if v == nil {
			return ""
		}
		var s string
		if json.Unmarshal(v.Value, &s) != nil {
			return string(v.Value)
		}
		return s
	}
	props = map[string]string{}
	for _, p := range n.Properties {
		props[string(p.Name)] = str(p.Value)
	}
	return str(n.Role), str(n.Name), props
}
