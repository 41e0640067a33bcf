package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// The organization pages speak the browser's language: a taken slug and an
// empty name on /create-organization, the switcher's built-in role, dates
// and a refusal page read in German with Accept-Language: de, while the
// Backend API keeps answering the same error in English.
func TestOrganizationPagesInGerman(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	c := ada.createOrg(t, p, "Acme Rockets")
	ada.b.header = http.Header{"Accept-Language": {"de-DE,de;q=0.9,en;q=0.5"}}

	create := ada.b.get(withRedirect("/create-organization", appURL))
	wantText(t, "create page", create, http.StatusOK, "Organisation erstellen", "Kurzname")
	// Another name with the same slug: the same name again this soon would
	// be taken for the same press of the button (a double click).
	taken := ada.b.submit(create, createOrgForm, map[string]string{"name": "Acme rockets"})
	wantText(t, "taken slug", taken, http.StatusConflict, "Dieser Kurzname ist vergeben. Wählen Sie einen anderen.")
	if slug := taken.Doc.Find(`input[name="slug"]`).AttrOr("value", ""); slug != "acme-rockets" {
		t.Errorf("the slug tried is not shown to change: %q", slug)
	}
	empty := ada.b.submit(ada.b.get(withRedirect("/create-organization", appURL)), createOrgForm, map[string]string{"name": "  "})
	wantText(t, "empty name", empty, http.StatusUnprocessableEntity, "Geben Sie einen Namen ein.")
	long := ada.b.submit(ada.b.get(withRedirect("/create-organization", appURL)), createOrgForm,
		map[string]string{"name": "Beta", "slug": strings.Repeat("a", 65)})
	wantText(t, "long slug", long, http.StatusUnprocessableEntity, "Verwenden Sie höchstens 64 Zeichen.")
	for _, pg := range []*page{taken, empty, long} {
		for _, en := range []string{"This slug is taken", "Enter a name", "Use at most", "Create organization"} {
			if strings.Contains(pg.text(), en) {
				t.Errorf("English %q on the German page:\n%s", en, pg.text())
			}
		}
	}

	wantText(t, "switcher", ada.b.get(withRedirect("/switch-organization", appURL)), http.StatusOK,
		"Organisation wechseln", "Persönliches Konto", "Acme Rockets", "Administrator")
	day := p.Clock.Now().UTC()
	wantText(t, "members", ada.b.get("/organizations/"+c.OrgID+"/members"), http.StatusOK,
		"Ihre Rolle: Administrator", "Beigetreten", "1 Mitglied")
	if !strings.Contains(ada.b.get("/organizations/"+c.OrgID+"/members").text(), strconv.Itoa(day.Day())+". ") {
		t.Error("the joined date is not written the German way")
	}
	wantText(t, "refusal", ada.b.get("/organizations/org_nope"), http.StatusNotFound,
		"Nicht gefunden", "Das haben wir nicht gefunden.", "Ihre Organisation")

	// The Backend API answers in English whatever the language asked for.
	r := apiCall(t, p, http.MethodPost, "/v1/organizations", "Bearer "+p.SecretKey,
		map[string]any{"name": "Acme Rockets", "slug": "acme-rockets", "created_by": ada.id})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "This slug is taken. Choose another.") {
		t.Errorf("Backend API: %d %s", r.Status, r.Body)
	}
}
