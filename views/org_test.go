package views

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/i18n"
)

const hostile = `<script>alert("x")</script>`

func orgNav(tr Translator, current string) OrgNav {
	return OrgNav{OrgID: "org_1", Name: "Acme " + hostile, LogoURL: "/organizations/org_1/logo?v=1", Role: tr.T("org.role.admin"),
		Current: current, ShowMembers: true, ShowInvitations: true, Query: "?redirect_url=x", SwitchURL: "/switch-organization",
		BackURL: "http://localhost:3000/", Hidden: []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/"}}}
}

// requestsNav is the profile's tabs on the requests page, two waiting.
func requestsNav(tr Translator) OrgNav {
	n := orgNav(tr, "requests")
	n.ShowRequests, n.Requests = true, 2
	return n
}

// orgLocalizer is the shipped catalogs' localizer for a locale.
func orgLocalizer(t *testing.T, locale string) Translator {
	t.Helper()
	cat, err := i18n.New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	return cat.For(locale)
}

// orgPages fills every prop a person can influence with markup, the
// texts a handler translates (role names, dates, titles) in tr's language.
func orgPages(t *testing.T, tr Translator) map[string]templ.Component {
	named := func(title string) Page {
		p := page(title)
		p.I18n = tr
		return p
	}
	pg := func(id string, args ...any) Page { return named(tr.T(id, args...)) }
	admin, member := tr.T("org.role.admin"), tr.T("org.role.member")
	day := func(d int) string {
		return tr.(*i18n.Localizer).Date(time.Date(2026, time.May, d, 12, 0, 0, 0, time.UTC))
	}
	roles := []RoleOption{{Key: "org:admin", Name: admin}, {Key: "org:member", Name: member}}
	return map[string]templ.Component{
		"switch": SwitchOrgPage(SwitchOrg{Page: pg("org.switch.title"), Personal: true, PersonalName: hostile,
			Orgs: []OrgItem{{ID: "org_1", Name: hostile, Role: admin, LogoURL: "/organizations/org_1/logo?v=1", Active: true},
				{ID: "org_2", Name: "Beta", Role: member}},
			Hidden: []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/"}}, CreateURL: "/create-organization",
			ProfileURL: "/organizations/org_1", Errors: Errors{"": "Choose one."}, Notice: "Done."}),
		"switch offers": SwitchOrgPage(SwitchOrg{Page: pg("org.switch.title"), Personal: true, PersonalName: "Carol",
			Invitations: []OrgInvitationItem{{ID: "orginv_1", OrgName: hostile, Role: member}},
			Suggestions: []OrgSuggestionItem{{ID: "orgsugg_1", OrgName: "Acme " + hostile, Email: "carol@acme.test"},
				{ID: "orgsugg_2", OrgName: "Beta", Email: "carol@beta.test", Requested: true}},
			Hidden: []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/"}}}),
		"task":  SwitchOrgPage(SwitchOrg{Page: pg("org.switch.task_title"), Task: true, SignOutURL: "/sign-out"}),
		"empty": SwitchOrgPage(SwitchOrg{Page: pg("org.switch.title")}),
		"create": CreateOrgPage(CreateOrg{Page: pg("org.create.title"), Name: hostile, Slug: "acme",
			Errors: Errors{"slug": "Taken.", "": "Fix it."}, BackURL: "/switch-organization"}),
		"general": OrgGeneralPage(OrgGeneral{Page: named("Acme"), Nav: orgNav(tr, "general"), Name: hostile, Slug: "acme",
			HasLogo: true, CanManage: true, CanDelete: true, NeedsPassword: true,
			Errors: Errors{"name": "Too long."}, DeleteErrors: Errors{"password": "Wrong."}, LeaveErrors: Errors{"": "Last admin."}, Notice: "Saved."}),
		"general read-only": OrgGeneralPage(OrgGeneral{Page: named("Acme"), Nav: orgNav(tr, "general"), Name: hostile, Slug: "acme"}),
		"members": OrgMembersPage(OrgMembers{Page: pg("org.members.title", "Org", "Acme"), Nav: orgNav(tr, "members"), Query: hostile, Roles: roles,
			Members: []OrgMember{{ID: "orgmem_1", Name: hostile, Email: "a@example.com", Role: "org:admin", Joined: day(1), You: true},
				{ID: "orgmem_2", Email: "b@example.com", Role: "org:member", Joined: day(2)}, {ID: "orgmem_3", Role: "org:member", Joined: day(3)}},
			CanManage: true, Total: 3, PageNum: 1, Pages: 2, NextURL: "/organizations/org_1/members?page=2", PrevURL: "/organizations/org_1/members?page=1"}),
		"members empty": OrgMembersPage(OrgMembers{Page: pg("org.members.title", "Org", "Acme"), Nav: orgNav(tr, "members"), Roles: roles,
			Total: 0, PageNum: 1, Pages: 1}),
		"invitations": OrgInvitationsPage(OrgInvitations{Page: pg("org.invite.title", "Org", "Acme"), Nav: orgNav(tr, "invitations"), Emails: hostile,
			Role: "org:member", Roles: roles, Errors: Errors{"email_address": "Bad."},
			Invitations: []OrgInvitationRow{{ID: "orginv_1", Email: "c@example.com", RoleName: member, Expires: day(8)},
				{ID: "orginv_2", Email: "d@example.com", RoleName: admin, Expired: true}}}),
		"invitations none": OrgInvitationsPage(OrgInvitations{Page: pg("org.invite.title", "Org", "Acme"), Nav: orgNav(tr, "invitations"),
			Role: "org:member", Roles: roles}),
		"requests": OrgRequestsPage(OrgRequests{Page: pg("org.requests.title", "Org", "Acme"), Nav: requestsNav(tr),
			Requests: []OrgRequestRow{{ID: "orgsugg_1", Name: hostile, Email: "carol@acme.test", Asked: day(3)},
				{ID: "orgsugg_2", Email: "dan@acme.test", Asked: day(4)}},
			Total: 21, PageNum: 1, Pages: 2, NextURL: "/organizations/org_1/requests?page=2", Errors: Errors{"": "Full."}, Notice: "Done."}),
		"requests none": OrgRequestsPage(OrgRequests{Page: pg("org.requests.title", "Org", "Acme"), Nav: requestsNav(tr),
			PageNum: 1, Pages: 1}),
		"accept": AcceptInvitationPage(AcceptInvitation{Page: pg("org.accept.title", "Org", "Acme"), OrgName: hostile, Email: "c@example.com",
			Role: member, Ticket: "t1"}),
	}
}

func TestOrgPages(t *testing.T) {
	for name, c := range orgPages(t, orgLocalizer(t, "en")) {
		t.Run(name, func(t *testing.T) {
			doc, html := render(t, c)
			if doc.Find("h1").Length() != 1 {
				t.Error("want exactly one h1")
			}
			// REQ-IN-01: what people typed is text, never markup.
			if strings.Contains(html, "<script>") || doc.Find(`script:not([src="/static/password.js"], [src="/static/orgnav.js"], [src="/static/typed.js"]), style, [style]`).Length() != 0 {
				t.Error("markup from props, or inline script or style")
			}
			seen := map[string]bool{}
			doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
				id := s.AttrOr("id", "")
				if seen[id] {
					t.Errorf("duplicate id %q", id)
				}
				seen[id] = true
			})
			doc.Find(`input:not([type="hidden"]), select`).Each(func(_ int, s *goquery.Selection) {
				id := s.AttrOr("id", "")
				if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
					t.Errorf("%s %q has no label of its own", goquery.NodeName(s), s.AttrOr("name", ""))
				}
			})
			// REQ-SES-08: every state change is a POST with the CSRF token;
			// the member search is the one GET form.
			doc.Find("form").Each(func(_ int, f *goquery.Selection) {
				if f.AttrOr("method", "") == "get" {
					if f.HasClass("cl-search") {
						return
					}
					t.Errorf("GET form %s", f.AttrOr("action", ""))
				}
				if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") == "" {
					t.Errorf("form method=%q action=%q", f.AttrOr("method", ""), f.AttrOr("action", ""))
				}
				if v, _ := f.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v != csrf {
					t.Errorf("form %s: _csrf = %q", f.AttrOr("action", ""), v)
				}
				if f.Find(`button[type="submit"]`).Length() == 0 {
					t.Errorf("form %s has no submit button", f.AttrOr("action", ""))
				}
			})
		})
	}
}

// A person never gets a control to change their own role, and forms that
// upload a logo are multipart.
func TestOrgPageDetails(t *testing.T) {
	pages := orgPages(t, orgLocalizer(t, "en"))
	doc, _ := render(t, pages["members"])
	if doc.Find(`form[action="/organizations/org_1/members/orgmem_1/role"]`).Length() != 0 {
		t.Error("the viewer's own row has a role form")
	}
	if doc.Find(`form[action="/organizations/org_1/members/orgmem_2/role"] option[value="org:member"][selected]`).Length() != 1 {
		t.Error("the member's current role is not selected")
	}
	if doc.Find(`a[rel="next"]`).AttrOr("href", "") != "/organizations/org_1/members?page=2" {
		t.Error("no link to the next page")
	}
	for _, name := range []string{"create", "general"} {
		doc, _ := render(t, pages[name])
		f := doc.Find(`form:has(input[type="file"])`)
		if f.Length() != 1 || f.AttrOr("enctype", "") != "multipart/form-data" {
			t.Errorf("%s: the logo form is not multipart", name)
		}
	}
	doc, _ = render(t, pages["general read-only"])
	if doc.Find(`input[name="name"], form[action$="/delete"]`).Length() != 0 {
		t.Error("a member without the permissions gets the settings or delete forms")
	}
	if doc.Find(`form[action$="/leave"]`).Length() != 1 {
		t.Error("no way to leave")
	}
	doc, _ = render(t, pages["switch"])
	if doc.Find(`button[name="organization_id"][value=""]`).Length() != 1 ||
		doc.Find(`button[name="organization_id"][value="org_1"][aria-current="true"]`).Length() != 1 {
		t.Error("the switcher lacks the personal account or does not mark the active organization")
	}
	// What waits for the person: an invitation to join or decline, a
	// suggestion to request, one requested that only says so.
	doc, _ = render(t, pages["switch offers"])
	if got := doc.Find("#org-invitations").Text(); got != "Invitations and suggestions" {
		t.Errorf("the offers are headed %q", got)
	}
	if doc.Find(`[data-testid="org-invitation"] form[action="/switch-organization/invitations/orginv_1/accept"]`).Length() != 1 {
		t.Error("the invitation has no Join form")
	}
	ask := doc.Find(`[data-testid="org-suggestion"]#orgsugg_1 form[action="/switch-organization/suggestions/orgsugg_1/request"] button`)
	if ask.Text() != "Request to join" || ask.AttrOr("aria-label", "") != "Request to join Acme "+hostile {
		t.Errorf("the suggestion's button reads %q (%q)", ask.Text(), ask.AttrOr("aria-label", ""))
	}
	if !strings.Contains(doc.Find(`#orgsugg_1`).Text(), "Suggested for carol@acme.test") {
		t.Errorf("the suggestion says %q", doc.Find(`#orgsugg_1`).Text())
	}
	asked := doc.Find(`[data-testid="org-suggestion"]#orgsugg_2`)
	if asked.Find("form").Length() != 0 || asked.Find(`[data-testid="requested"]`).Text() != "Requested" {
		t.Errorf("the requested suggestion reads %q", asked.Text())
	}
	doc, _ = render(t, pages["requests"])
	if got := doc.Find(`nav a[aria-current="page"]`).Text(); got != "Requests (2)" {
		t.Errorf("the current tab reads %q", got)
	}
	for _, r := range []struct{ id, name string }{{"orgsugg_1", hostile}, {"orgsugg_2", "dan@acme.test"}} {
		for _, answer := range []string{"accept", "reject"} {
			b := doc.Find(`tr#` + r.id + ` form[action="/organizations/org_1/requests/` + r.id + `/` + answer + `"] button`)
			if b.Length() != 1 || !strings.HasSuffix(b.AttrOr("aria-label", ""), "the request of "+r.name) {
				t.Errorf("%s of %s: %d buttons labelled %q", answer, r.id, b.Length(), b.AttrOr("aria-label", ""))
			}
		}
	}
	if doc.Find(`a[rel="next"]`).AttrOr("href", "") != "/organizations/org_1/requests?page=2" {
		t.Error("no link to the next page of requests")
	}
	doc, _ = render(t, pages["requests none"])
	if doc.Find("table").Length() != 0 || !strings.Contains(doc.Text(), "No requests to join.") || doc.Find(".cl-pager").Length() != 0 {
		t.Error("an empty requests page shows a table or a pager, or does not say it is empty")
	}
	doc, _ = render(t, pages["task"])
	if doc.Find(`button[name="organization_id"][value=""]`).Length() != 0 || doc.Find("h1").Text() != "Choose an organization" {
		t.Error("the choose-organization step offers the personal account")
	}
}

func TestOrgInvitationEmail(t *testing.T) {
	p := OrgInvitationEmail{Email: Email{AppName: "Acme"}, OrgName: "Rockets\r\nBcc: x@evil.example", InviterName: "Ada",
		URL: "https://accounts.example.com/accept-invitation?ticket=abc", Expires: "8 May 2026"}
	if s := OrgInvitationEmailSubject(p); strings.ContainsAny(s, "\r\n") || !strings.HasPrefix(s, "Ada invited you to join Rockets") {
		t.Errorf("subject %q (REQ-IN-04: no line breaks in a header)", s)
	}
	text := plain(t, OrgInvitationEmailHTML(p))
	for _, want := range []string{"Ada has invited you", p.URL, "expires on 8 May 2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("text body lacks %q:\n%s", want, text)
		}
	}
	doc, _ := render(t, OrgInvitationEmailHTML(p))
	if doc.Find(`a[href="`+p.URL+`"]`).Length() != 1 {
		t.Error("HTML body lacks the link")
	}

	// The inviter's address, next to the name in both parts; the subject
	// keeps to the name. Without a name, the address names them.
	p.InviterName, p.InviterEmail = "Ada Lovelace", "ada@example.com"
	const intro = "Ada Lovelace (ada@example.com) has invited you to join the organization Rockets Bcc: x@evil.example on Acme."
	doc, _ = render(t, OrgInvitationEmailHTML(p))
	if text := plain(t, OrgInvitationEmailHTML(p)); !strings.Contains(text, intro) || !strings.Contains(doc.Text(), intro) {
		t.Errorf("the inviter's address is missing:\n%s", text)
	}
	if s := OrgInvitationEmailSubject(p); !strings.HasPrefix(s, "Ada Lovelace invited you") {
		t.Errorf("subject %q", s)
	}
	p.InviterName = ""
	if s, text := OrgInvitationEmailSubject(p), plain(t, OrgInvitationEmailHTML(p)); !strings.HasPrefix(s, "ada@example.com invited you") ||
		!strings.Contains(text, "ada@example.com has invited you") || strings.Contains(text, "(ada@example.com)") {
		t.Errorf("an inviter without a name: %q\n%s", s, text)
	}
}

// The organization pages in German: German texts, and none of the English
// texts of the org catalog left over (REQ: issue #8).
func TestOrgPagesInGerman(t *testing.T) {
	en, de := orgMessages(t, "en"), orgMessages(t, "de")
	want := map[string][]string{
		"switch":            {"Organisation wechseln", "Persönliches Konto", "Organisation erstellen", "Diese Organisation verwalten", "Administrator"},
		"task":              {"Organisation auswählen", "Wählen Sie die Organisation, mit der Sie fortfahren möchten."},
		"empty":             {"Sie sind noch kein Mitglied einer Organisation."},
		"create":            {"Richten Sie einen gemeinsamen Bereich für Ihr Team ein.", "Kurzname", "Abbrechen", "bis 5 MB"},
		"general":           {"Ihre Rolle: Administrator", "Allgemein", "Logo entfernen", "Speichern", "Organisation verlassen", "Geben Sie zur Bestätigung Acme <script>", "Ihr Passwort", "Zurück zur App"},
		"general read-only": {"Kurzname", "Organisation verlassen"},
		"members":           {"Mitglieder suchen", "Beigetreten", "Seite 1 von 2 · 3 Mitglieder", "Rolle ändern", "Ein Mitglied entfernen", "2. Mai 2026", "Weiter"},
		"members empty":     {"Keine passenden Mitglieder."},
		"invitations":       {"Neue Mitglieder einladen", "E-Mail-Adressen", "Einladungen senden", "Abgelaufen", "Einladung an c@example.com zurückziehen", "8. Mai 2026"},
		"invitations none":  {"Keine offenen Einladungen."},
		"accept":            {"Sie wurden eingeladen", "als Mitglied beizutreten", "Nicht jetzt"},
		"switch offers":     {"Einladungen und Vorschläge", "Beitreten", "Beitritt anfragen", "Vorgeschlagen für carol@acme.test", "Angefragt", "Wartet darauf, dass ein Administrator Sie aufnimmt."},
		"requests":          {"Anfragen (2)", "Beitrittsanfragen", "Annehmen", "Anfrage von dan@acme.test ablehnen", "Angefragt am", "3. Mai 2026", "Seite 1 von 2 · 21 Anfragen"},
		"requests none":     {"Keine Beitrittsanfragen."},
	}
	for name, c := range orgPages(t, orgLocalizer(t, "de")) {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			shown := orgShownText(doc)
			for _, w := range want[name] {
				if !strings.Contains(shown, w) {
					t.Errorf("lacks %q:\n%s", w, shown)
				}
			}
			if bare := regexp.MustCompile(`\borg\.[a-z_]+\.[a-z_.]+`).FindString(shown); bare != "" {
				t.Errorf("shows the bare message ID %q", bare)
			}
			for id, texts := range en {
				for _, text := range texts {
					if slices.Contains(de[id], text) {
						continue // the same word in both (Name, Logo)
					}
					for _, frag := range orgFragments(text) {
						if frag.MatchString(shown) {
							t.Errorf("English %s %q left in the German page", id, frag)
						}
					}
				}
			}
		})
	}
	if len(want) != len(orgPages(t, orgLocalizer(t, "de"))) {
		t.Error("a page has no German texts to look for")
	}
	// The check above finds English where there is some.
	doc, _ := render(t, orgPages(t, orgLocalizer(t, "en"))["general"])
	found := 0
	for _, texts := range en {
		for _, text := range texts {
			for _, frag := range orgFragments(text) {
				if frag.MatchString(orgShownText(doc)) {
					found++
				}
			}
		}
	}
	if found < 10 {
		t.Errorf("only %d English texts found in the English page: the check finds nothing", found)
	}
}

// orgShownText is what a person reads or hears: text and the attributes a
// screen reader or the browser shows.
func orgShownText(doc *goquery.Document) string {
	var b strings.Builder
	b.WriteString(doc.Text())
	doc.Find("[aria-label], [placeholder], [alt], [title]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"aria-label", "placeholder", "alt", "title"} {
			b.WriteString("\n" + s.AttrOr(a, ""))
		}
	})
	return b.String()
}

// orgMessages is each message of the org catalog of a locale, its forms.
func orgMessages(t *testing.T, locale string) map[string][]string {
	t.Helper()
	var raw map[string]any
	if _, err := toml.DecodeFS(i18n.Locales(), "org."+locale+".toml", &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			switch v := v.(type) {
			case string:
				if k == "one" || k == "other" {
					out[prefix] = append(out[prefix], v)
				} else {
					out[prefix+"."+k] = append(out[prefix+"."+k], v)
				}
			case map[string]any:
				walk(strings.TrimPrefix(prefix+"."+k, "."), v)
			}
		}
	}
	walk("", raw)
	if len(out) < 50 {
		t.Fatalf("org.%s.toml has only %d messages", locale, len(out))
	}
	return out
}

// orgFragments are the word runs of a message between its placeholders, as
// whole-word patterns ("Join {{.Org}}" → `\bJoin`).
func orgFragments(text string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, f := range regexp.MustCompile(`\{\{[^}]*\}\}`).Split(text, -1) {
		f = strings.TrimSpace(f)
		if len([]rune(f)) < 3 || !regexp.MustCompile(`[A-Za-z]{3}`).MatchString(f) {
			continue
		}
		pat := regexp.QuoteMeta(f)
		if regexp.MustCompile(`^\w`).MatchString(f) {
			pat = `\b` + pat
		}
		if regexp.MustCompile(`\w$`).MatchString(f) {
			pat += `\b`
		}
		out = append(out, regexp.MustCompile(pat))
	}
	return out
}

// An impersonation session is not offered a deletion form asking for a
// password it cannot give; the page says who can delete.
func TestOrgDeletionInImpersonation(t *testing.T) {
	tr := orgLocalizer(t, "en")
	p := page("Acme")
	p.I18n = tr
	general := OrgGeneral{Page: p, Nav: orgNav(tr, "general"), Name: "Acme", Slug: "acme", CanManage: true, CanDelete: true,
		NeedsPassword: true}
	doc, _ := render(t, OrgGeneralPage(general))
	if doc.Find(`form[action="/organizations/org_1/delete"] input[name="password"]`).Length() != 1 {
		t.Fatal("the person's own page has no password field to delete with")
	}
	general.Page = impersonated(general.Page)
	doc, _ = render(t, OrgGeneralPage(general))
	if doc.Find(`form[action="/organizations/org_1/delete"]`).Length() != 0 {
		t.Error("an impersonation session is offered the deletion form")
	}
	if text := doc.Find(`section[aria-labelledby="org-delete"]`).Text(); !strings.Contains(text, "This change needs jo@example.com to confirm it's them") {
		t.Errorf("the deletion section says %q", strings.Join(strings.Fields(text), " "))
	}
	// A person without a password must sign in again to delete; their
	// impersonator is told only the person can, not to sign in again.
	general.NeedsPassword, general.SignInAgain = false, true
	doc, _ = render(t, OrgGeneralPage(general))
	if text := strings.Join(strings.Fields(doc.Find(`section[aria-labelledby="org-delete"]`).Text()), " "); strings.Contains(text, "sign in again") ||
		!strings.Contains(text, "This change needs jo@example.com to confirm it's them") {
		t.Errorf("impersonating a person without a password, the deletion section says %q", text)
	}
	general.NeedsPassword, general.SignInAgain = false, false // a recent factor: nothing to ask
	doc, _ = render(t, OrgGeneralPage(general))
	if doc.Find(`form[action="/organizations/org_1/delete"]`).Length() != 1 {
		t.Error("no deletion form when no password is asked")
	}
}

// An address in a table wraps after its @ and before its dots, and its
// markup is escaped.
func TestBreakableAddress(t *testing.T) {
	var b strings.Builder
	if err := breakable(`grace.o'<b>@example.com`).Render(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	if want := `<span class="cl-address">grace<wbr>.o&#39;&lt;b&gt;@<wbr>example<wbr>.com</span>`; b.String() != want {
		t.Errorf("breakable = %q, want %q", b.String(), want)
	}
}

// Names people chose reach an invitation's subject and bodies, and a domain
// code's, without the controls that could make them, or the sentence around
// them, display as something else: "‮moc.knab‬" would read "bank.com".
// A name too long for a subject is cut.
func TestEmailsShowNamesWithoutBidiControls(t *testing.T) {
	const rlo = "Acme \u202Emoc.knab\u202C \u2066x\u2069 \u200F"
	long := strings.Repeat("Ä", 150)
	bidi := regexp.MustCompile("[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]")
	inv := OrgInvitationEmail{Email: Email{AppName: "Portal"}, OrgName: rlo, InviterName: "Ada\u2028" + long,
		InviterEmail: "\u202Emoc.knab@x.example\u202C" + strings.Repeat("a", 150),
		URL:          "https://accounts.example.com/accept-invitation?ticket=abc", Expires: "8 May 2026"}
	code := CodeEmail{Email: Email{AppName: "Portal"}, Code: "123456", Minutes: 10, Purpose: "verify-domain",
		OrgName: rlo, Domain: "acme.example"}
	var html strings.Builder
	if err := OrgInvitationEmailHTML(inv).Render(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{
		"invitation subject": OrgInvitationEmailSubject(inv),
		"invitation text":    plain(t, OrgInvitationEmailHTML(inv)),
		"invitation html":    html.String(),
		"domain code text":   plain(t, CodeEmailHTML(code)),
	} {
		if bidi.MatchString(s) {
			t.Errorf("%s keeps a bidi control: %q", what, s)
		}
		if !strings.Contains(s, "Acme moc.knab x") {
			t.Errorf("%s lacks the name's letters: %q", what, s)
		}
	}
	// The inviter's address goes through the same: no controls, cut.
	if text := plain(t, OrgInvitationEmailHTML(inv)); !strings.Contains(text, "(moc.knab@x.example"+strings.Repeat("a", 82)+"…)") {
		t.Errorf("the inviter's address is not shown as a name is:\n%s", text)
	}
	s := OrgInvitationEmailSubject(inv)
	if !strings.HasPrefix(s, "Ada "+strings.Repeat("Ä", 96)+"… invited you") || strings.Contains(s, strings.Repeat("Ä", 97)) {
		t.Errorf("a long inviter name is not cut to %d characters: %q", maxShownName, s)
	}
	if !strings.HasSuffix(s, "on Portal") {
		t.Errorf("subject lost the app's name: %q", s)
	}
}

// A role that may not give the member role (REQ-AC-03) is offered Reject
// on each request, not Accept, which the portal would refuse.
func TestOrgRequestsWithoutAcceptOfferOnlyReject(t *testing.T) {
	tr := orgLocalizer(t, "en")
	pg := page("Requests")
	pg.I18n = tr
	p := OrgRequests{Page: pg, Nav: requestsNav(tr), PageNum: 1, Pages: 1,
		Requests: []OrgRequestRow{{ID: "orgsugg_1", Email: "carol@acme.test"}}}
	for _, c := range []struct {
		cannot  bool
		accepts int
	}{{false, 1}, {true, 0}} {
		p.CannotAccept = c.cannot
		doc, _ := render(t, OrgRequestsPage(p))
		if n := doc.Find(`form[action$="/requests/orgsugg_1/accept"]`).Length(); n != c.accepts {
			t.Errorf("CannotAccept %v: %d accept forms, want %d", c.cannot, n, c.accepts)
		}
		if doc.Find(`form[action$="/requests/orgsugg_1/reject"]`).Length() != 1 {
			t.Errorf("CannotAccept %v: no reject form", c.cannot)
		}
	}
}
