package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// apiUserWithLocale creates, through the Backend API, an account owning
// email whose user's locale is locale ("" for none).
func apiUserWithLocale(t *testing.T, p *portaltest.Portal, email, locale string) {
	t.Helper()
	body := map[string]any{"email_address": []string{email}, "password": goodPassword}
	if locale != "" {
		body["locale"] = locale
	}
	if r := api(t, p, http.MethodPost, "/v1/users", body, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/users %s: %d %s", email, r.Status, r.Body)
	}
}

// An organization invitation is read by the invitee, not the inviter: to
// an address whose account has a language it is written in that language,
// whatever the inviter's page is in; to an address with no account, or
// whose user has no language, in the inviter's page's language, as
// before; from the Backend API, in the invitee's language, else the
// instance default.
func TestOrgInvitationInTheInviteesLanguage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com") // browsing in English
	acme := ada.createOrg(t, p, "Acme")
	apiUserWithLocale(t, p, "bob@example.com", "de")
	apiUserWithLocale(t, p, "dan@example.com", "")
	apiUserWithLocale(t, p, "gus@example.com", "ja")

	invite := func(lang, email, want string) {
		t.Helper()
		ada.b.header = http.Header{"Accept-Language": {lang}}
		before := len(p.SMTP.Messages())
		pg := ada.b.get("/organizations/" + acme.OrgID + "/invitations?redirect_url=" + url.QueryEscape(appURL))
		pg = ada.b.submit(pg, `form[action="/organizations/`+acme.OrgID+`/invitations"]`, map[string]string{"email_address": email})
		if pg.Status != http.StatusOK {
			t.Fatalf("inviting %s from a page in %s: %d\n%s", email, lang, pg.Status, pg.text())
		}
		wantOneMailIn(t, p, email, before, want, "the invitation to "+email+" from a page in "+lang)
	}
	invite("en", "bob@example.com", "de")   // the invitee's language
	invite("en", "carol@example.com", "en") // no account: the inviter's
	invite("en", "dan@example.com", "en")   // an account with no language: the inviter's
	invite("fr-FR", "erin@example.com", "fr")

	before := len(p.SMTP.Messages())
	if r := api(t, p, http.MethodPost, "/v1/organizations/"+acme.OrgID+"/invitations",
		map[string]any{"email_address": "gus@example.com", "role": "org:member"}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API invitation: %d %s", r.Status, r.Body)
	}
	wantOneMailIn(t, p, "gus@example.com", before, "ja", "the Backend API's invitation to an account in Japanese")
	before = len(p.SMTP.Messages())
	if r := api(t, p, http.MethodPost, "/v1/organizations/"+acme.OrgID+"/invitations",
		map[string]any{"email_address": "hal@example.com", "role": "org:member"}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API invitation: %d %s", r.Status, r.Body)
	}
	wantOneMailIn(t, p, "hal@example.com", before, "en", "the Backend API's invitation to an address with no account")
}

// An application invitation goes to an address with an account only when
// asked to (ignore_existing); it is then written in that account's
// language — here the one its user signed up in — and otherwise, to an
// address with no account or an account with no language, in the
// instance default, as before.
func TestAppInvitationInTheInviteesLanguage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	pt := newBrowser(t, p)
	pt.header = http.Header{"Accept-Language": {"pt-BR,pt;q=0.9"}}
	signUp(t, p, pt, "bia@example.com", "")
	if got := userLocale(t, p, "bia@example.com"); got != "pt-BR" {
		t.Fatalf("locale after signing up in Portuguese: %q, want pt-BR", got)
	}
	apiUserWithLocale(t, p, "dan@example.com", "")

	for _, c := range []struct{ email, want string }{
		{"bia@example.com", "pt-BR"},
		{"carol@example.com", "en"},
		{"dan@example.com", "en"},
	} {
		before := len(p.SMTP.Messages())
		if r := api(t, p, http.MethodPost, "/v1/invitations",
			map[string]any{"email_address": c.email, "ignore_existing": true}, nil); r.Status != http.StatusOK {
			t.Fatalf("POST /v1/invitations %s: %d %s", c.email, r.Status, r.Body)
		}
		wantOneMailIn(t, p, c.email, before, c.want, "the application invitation to "+c.email)
	}
}
