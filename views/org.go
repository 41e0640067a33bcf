package views

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// initial is the letter shown for an organization without a logo.
func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

func switchTitle(p SwitchOrg) string {
	if p.Task {
		return p.T("org.switch.task_title")
	}
	return p.T("org.switch.title")
}

func switchSubtitle(p SwitchOrg) string {
	if p.Task {
		return p.T("org.switch.task_subtitle")
	}
	return p.T("org.switch.subtitle")
}

func switchFooter(p SwitchOrg) templ.Component {
	if p.ProfileURL == "" && p.BackURL == "" {
		return nil
	}
	return switchFooterLinks(p)
}

func orgFooter(p Page, n OrgNav) templ.Component { return orgFooterLinks(p, n) }

func createOrgFields(p CreateOrg) []field {
	return focusFirst([]field{
		{Name: "name", Label: p.T("org.field.name"), Type: "text", Value: p.Name, Autocomplete: "organization",
			Error: p.Errors["name"], Required: true, Attrs: templ.OrderedAttributes{{Key: "maxlength", Value: "100"}}},
		{Name: "slug", Label: p.T("org.field.slug"), Type: "text", Value: p.Slug, Autocomplete: "off", Optional: true,
			Hint: p.T("org.field.slug_hint_create"), Error: p.Errors["slug"], Attrs: slugAttrs()},
		{Name: "logo", Label: p.T("org.field.logo"), Type: "file", Optional: true, Hint: p.T("org.field.logo_hint"),
			Error: p.Errors["logo"], Attrs: logoAttrs()},
	})
}

// The settings, leave and delete forms share a long page, as the invite
// form shares one with the pending invitations: a refusal takes the
// person to the field to fix (focusError), an opened page to no field.
func orgSettingsFields(p OrgGeneral) []field {
	return focusError([]field{
		{Name: "name", Label: p.T("org.field.name"), Type: "text", Value: p.Name, Autocomplete: "organization",
			Error: p.Errors["name"], Required: true, Attrs: templ.OrderedAttributes{{Key: "maxlength", Value: "100"}}},
		{Name: "slug", Label: p.T("org.field.slug"), Type: "text", Value: p.Slug, Autocomplete: "off", Required: true,
			Hint: p.T("org.field.slug_hint"), Error: p.Errors["slug"], Attrs: slugAttrs()},
		{Name: "logo", Label: p.T("org.field.new_logo"), Type: "file", Optional: true, Hint: p.T("org.field.logo_hint"),
			Error: p.Errors["logo"], Attrs: logoAttrs()},
	})
}

func deleteOrgFields(p OrgGeneral) []field {
	// The saved name (Nav), not p.Name: after a refused rename that is what
	// was typed, and deleting compares with the saved one.
	fields := []field{{Name: "confirm_name", Label: p.T("org.field.confirm_name", "Name", p.Nav.Name), Type: "text",
		Value: p.ConfirmName, Autocomplete: "off", Error: p.DeleteErrors["confirm_name"], Required: true}}
	if p.NeedsPassword {
		fields = append(fields, field{Name: "password", Label: p.T("org.field.password"), Type: "password",
			Autocomplete: "current-password", Hint: p.T("org.field.password_hint"),
			Error: p.DeleteErrors["password"], Required: true})
	}
	return focusError(fields)
}

// leaveOrgField asks for the organization's name before leaving it; its
// IDs differ from the delete form's field of the same name.
func leaveOrgField(p OrgGeneral) field {
	return field{Name: "confirm_name", Key: "leave_confirm_name", Label: p.T("org.field.confirm_name", "Name", p.Nav.Name),
		Type: "text", Value: p.LeaveConfirm, Autocomplete: "off", Error: p.LeaveErrors["confirm_name"], Required: true,
		Autofocus: p.LeaveErrors["confirm_name"] != ""}
}

func invitationEmailsField(p OrgInvitations) field {
	return field{Name: "email_address", Label: p.T("org.invite.emails"), Type: "text", Value: p.Emails,
		Autocomplete: "off", Hint: p.T("org.invite.emails_hint"), Error: p.Errors["email_address"],
		Required: true, Autofocus: p.Errors["email_address"] != "", Attrs: emailAttrs()}
}

// invitationRoleField is the role an invitation gives, from the
// organization's roles.
func invitationRoleField(p OrgInvitations) field {
	f := field{Name: "role", Label: p.T("org.field.role"), Value: p.Role, Error: p.Errors["role"], Options: []option{},
		Autofocus: p.Errors["role"] != "" && p.Errors["email_address"] == ""}
	for _, r := range p.Roles {
		if !r.Withheld {
			f.Options = append(f.Options, option{Value: r.Key, Label: r.Name})
		}
	}
	return f
}

func slugAttrs() templ.OrderedAttributes {
	return templ.OrderedAttributes{{Key: "maxlength", Value: "64"}, {Key: "pattern", Value: "[a-z0-9]([a-z0-9\\-]*[a-z0-9])?"},
		{Key: "autocapitalize", Value: "none"}, {Key: "spellcheck", Value: "false"}}
}

func logoAttrs() templ.OrderedAttributes {
	return templ.OrderedAttributes{{Key: "accept", Value: "image/png,image/jpeg,image/gif,image/webp"}}
}

func memberName(p Page, m OrgMember) string {
	if m.Name != "" {
		return m.Name
	}
	if m.Email != "" {
		return m.Email
	}
	return p.T("org.members.a_member")
}

// removeMemberURL is the page that confirms removing m, carrying what the
// list carries (Hidden) so that Cancel and Remove come back to this page of
// it.
func removeMemberURL(p OrgMembers, m OrgMember) string {
	u := "/organizations/" + p.Nav.OrgID + "/members/" + m.ID + "/remove"
	v := url.Values{}
	for _, h := range p.Hidden {
		v.Set(h.Name, h.Value)
	}
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// orHome is href, or the portal's home when it is "".
func orHome(href string) string {
	if href == "" {
		return "/"
	}
	return href
}

func roleName(roles []RoleOption, key string) string {
	for _, r := range roles {
		if r.Key == key {
			return r.Name
		}
	}
	_, n, _ := strings.Cut(key, ":")
	if n == "" || !utf8.ValidString(n) {
		return key
	}
	return n
}

func domainNameField(p OrgGeneral) field {
	// Named "domain", not "name": the settings form above has a name field.
	return field{Name: "domain", Label: p.T("org.domains.name"), Type: "text", Value: p.DomainName, Autocomplete: "off",
		Hint: p.T("org.domains.name_hint"), Error: p.DomainErrors["name"], Required: true, Autofocus: p.DomainErrors["name"] != "",
		Attrs: templ.OrderedAttributes{{Key: "maxlength", Value: "253"}, {Key: "autocapitalize", Value: "none"},
			{Key: "spellcheck", Value: "false"}}}
}

func domainEmailField(p OrgDomain) field {
	return field{Name: "email_address", Label: p.T("org.domains.email", "Domain", p.Name), Type: "email", Value: p.Email,
		Autocomplete: "email", Hint: p.T("org.domains.email_hint"), Error: p.Errors["email_address"], Required: true,
		Autofocus: p.CodeSentTo == "", Attrs: emailAttrs()}
}

// enrollmentOption is one choice of a domain's enrollment mode.
type enrollmentOption struct {
	Value, Label, Hint string
}

// enrollmentOptions are the modes a domain can have, Clerk's three.
func enrollmentOptions(p OrgDomain) []enrollmentOption {
	return []enrollmentOption{
		{"manual_invitation", p.T("org.domains.mode_manual"), p.T("org.domains.mode_manual_hint")},
		{"automatic_invitation", p.T("org.domains.mode_automatic"), p.T("org.domains.mode_automatic_hint", "Domain", p.Name)},
		{"automatic_suggestion", p.T("org.domains.mode_suggestion"), p.T("org.domains.mode_suggestion_hint", "Domain", p.Name)},
	}
}

// offersHeading names what waits for the person on the switcher.
func offersHeading(p SwitchOrg) string {
	switch {
	case len(p.Suggestions) == 0:
		return p.T("org.switch.invitations")
	case len(p.Invitations) == 0:
		return p.T("org.switch.suggestions")
	}
	return p.T("org.switch.offers")
}

// requestsTab is the requests tab's label, with how many wait.
func requestsTab(p Page, n OrgNav) string {
	if n.Requests == 0 {
		return p.T("org.nav.requests")
	}
	return p.N("org.nav.requests_count", n.Requests)
}

// requesterName names the person of a request in its buttons' labels.
func requesterName(r OrgRequestRow) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Email
}
