package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

const hostile = `<script>alert("x")</script>`

func orgNav(current string) OrgNav {
	return OrgNav{OrgID: "org_1", Name: "Acme " + hostile, LogoURL: "/organizations/org_1/logo?v=1", Role: "Admin",
		Current: current, ShowMembers: true, ShowInvitations: true, Query: "?redirect_url=x", SwitchURL: "/switch-organization",
		BackURL: "http://localhost:3000/", Hidden: []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/"}}}
}

// orgPages fills every prop a person can influence with markup.
func orgPages() map[string]templ.Component {
	roles := []RoleOption{{Key: "org:admin", Name: "Admin"}, {Key: "org:member", Name: "Member"}}
	return map[string]templ.Component{
		"switch": SwitchOrgPage(SwitchOrg{Page: page("Switch organization"), Personal: true, PersonalName: hostile,
			Orgs: []OrgItem{{ID: "org_1", Name: hostile, Role: "Admin", LogoURL: "/organizations/org_1/logo?v=1", Active: true},
				{ID: "org_2", Name: "Beta", Role: "Member"}},
			Hidden: []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/"}}, CreateURL: "/create-organization",
			ProfileURL: "/organizations/org_1", Errors: Errors{"": "Choose one."}, Notice: "Done."}),
		"task": SwitchOrgPage(SwitchOrg{Page: page("Choose an organization"), Task: true, SignOutURL: "/sign-out"}),
		"create": CreateOrgPage(CreateOrg{Page: page("Create organization"), Name: hostile, Slug: "acme",
			Errors: Errors{"slug": "Taken.", "": "Fix it."}, BackURL: "/switch-organization"}),
		"general": OrgGeneralPage(OrgGeneral{Page: page("Acme"), Nav: orgNav("general"), Name: hostile, Slug: "acme",
			HasLogo: true, CanManage: true, CanDelete: true, NeedsPassword: true,
			Errors: Errors{"name": "Too long."}, DeleteErrors: Errors{"password": "Wrong."}, LeaveError: "Last admin.", Notice: "Saved."}),
		"general read-only": OrgGeneralPage(OrgGeneral{Page: page("Acme"), Nav: orgNav("general"), Name: hostile, Slug: "acme"}),
		"members": OrgMembersPage(OrgMembers{Page: page("Members"), Nav: orgNav("members"), Query: hostile, Roles: roles,
			Members: []OrgMember{{ID: "orgmem_1", Name: hostile, Email: "a@example.com", Role: "org:admin", Joined: "1 May 2026", You: true},
				{ID: "orgmem_2", Email: "b@example.com", Role: "org:member", Joined: "2 May 2026"}},
			CanManage: true, Total: 2, PageNum: 1, Pages: 2, NextURL: "/organizations/org_1/members?page=2"}),
		"invitations": OrgInvitationsPage(OrgInvitations{Page: page("Invitations"), Nav: orgNav("invitations"), Emails: hostile,
			Role: "org:member", Roles: roles, Errors: Errors{"email_address": "Bad."},
			Invitations: []OrgInvitationRow{{ID: "orginv_1", Email: "c@example.com", RoleName: "Member", Expires: "8 May 2026"},
				{ID: "orginv_2", Email: "d@example.com", RoleName: "Admin", Expired: true}}}),
		"accept": AcceptInvitationPage(AcceptInvitation{Page: page("Join"), OrgName: hostile, Email: "c@example.com",
			Role: "Member", Ticket: "t1"}),
	}
}

func TestOrgPages(t *testing.T) {
	for name, c := range orgPages() {
		t.Run(name, func(t *testing.T) {
			doc, html := render(t, c)
			if doc.Find("h1").Length() != 1 {
				t.Error("want exactly one h1")
			}
			// REQ-IN-01: what people typed is text, never markup.
			if strings.Contains(html, "<script>") || doc.Find("script, style, [style]").Length() != 0 {
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
	pages := orgPages()
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
}
