package e2e

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// An organization invitation says who sent it by name and address, in
// both parts, so that the person invited can tell a colleague from a
// stranger who took their name; the subject keeps to the name. Over real
// SMTP, the text part keeps its lines within 78 characters but the link's.
func TestInvitationEmailGivesTheInvitersAddress(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com") // Ada Lovelace
	acme := ada.createOrg(t, p, "Acme")
	pg := ada.b.get("/organizations/" + acme.OrgID + "/invitations?redirect_url=" + appURL)
	pg = ada.b.submit(pg, `form[action="/organizations/`+acme.OrgID+`/invitations"]`, map[string]string{"email_address": "bob@example.com"})
	wantText(t, "after inviting", pg, http.StatusOK, "The invitation is on its way.")
	m := p.SMTP.WaitFor(t, "bob@example.com", mailWait)

	const intro = "Ada Lovelace (ada@example.com) has invited you to join the organization Acme"
	if !strings.Contains(unwrapText(m.Text), intro) || !strings.Contains(m.HTML, html.EscapeString(intro)) {
		t.Errorf("the invitation does not give the inviter's address:\n%s", m.Text)
	}
	if !strings.HasPrefix(m.Subject, "Ada Lovelace invited you to join Acme on ") {
		t.Errorf("subject %q", m.Subject)
	}
	for _, line := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") {
		if len([]rune(line)) > 78 && (strings.Contains(line, " ") || !strings.HasPrefix(line, "http")) {
			t.Errorf("a text line of %d characters: %q", len([]rune(line)), line)
		}
	}
}

// unwrapText undoes the wrapping of an email's text part, which breaks
// lines only at spaces: a line break within a paragraph is a space again.
func unwrapText(s string) string {
	paras := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n")
	for i, p := range paras {
		paras[i] = strings.ReplaceAll(p, "\n", " ")
	}
	return strings.Join(paras, "\n\n")
}
