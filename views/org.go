package views

import (
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
		return "Choose an organization"
	}
	return "Switch organization"
}

func switchSubtitle(p SwitchOrg) string {
	if p.Task {
		return "Select the organization to continue with."
	}
	return "Choose the account to continue with."
}

func switchFooter(p SwitchOrg) templ.Component {
	if p.ProfileURL == "" {
		return nil
	}
	return footerAction("", "Manage this organization", p.ProfileURL)
}

func orgFooter(n OrgNav) templ.Component { return orgFooterLinks(n) }

func createOrgFields(p CreateOrg) []field {
	return focusFirst([]field{
		{Name: "name", Label: "Name", Type: "text", Value: p.Name, Autocomplete: "organization",
			Error: p.Errors["name"], Required: true, Attrs: templ.OrderedAttributes{{Key: "maxlength", Value: "100"}}},
		{Name: "slug", Label: "Slug", Type: "text", Value: p.Slug, Autocomplete: "off", Optional: true,
			Hint:  "Lower-case letters, digits and hyphens, used in addresses. Leave empty to make one from the name.",
			Error: p.Errors["slug"], Attrs: slugAttrs()},
		{Name: "logo", Label: "Logo", Type: "file", Optional: true, Hint: "PNG, JPEG, GIF or WebP, at most 512 KB.",
			Error: p.Errors["logo"], Attrs: logoAttrs()},
	})
}

func orgSettingsFields(p OrgGeneral) []field {
	return []field{
		{Name: "name", Label: "Name", Type: "text", Value: p.Name, Autocomplete: "organization",
			Error: p.Errors["name"], Required: true, Attrs: templ.OrderedAttributes{{Key: "maxlength", Value: "100"}}},
		{Name: "slug", Label: "Slug", Type: "text", Value: p.Slug, Autocomplete: "off", Required: true,
			Hint: "Lower-case letters, digits and hyphens.", Error: p.Errors["slug"], Attrs: slugAttrs()},
		{Name: "logo", Label: "New logo", Type: "file", Optional: true, Hint: "PNG, JPEG, GIF or WebP, at most 512 KB.",
			Error: p.Errors["logo"], Attrs: logoAttrs()},
	}
}

func deleteOrgFields(p OrgGeneral) []field {
	fields := []field{{Name: "confirm_name", Label: "Type " + p.Name + " to confirm", Type: "text",
		Autocomplete: "off", Error: p.DeleteErrors["confirm_name"], Required: true}}
	if p.NeedsPassword {
		fields = append(fields, field{Name: "password", Label: "Your password", Type: "password",
			Autocomplete: "current-password", Hint: "For your security, confirm it's you.",
			Error: p.DeleteErrors["password"], Required: true})
	}
	return fields
}

func slugAttrs() templ.OrderedAttributes {
	return templ.OrderedAttributes{{Key: "maxlength", Value: "64"}, {Key: "pattern", Value: "[a-z0-9]([a-z0-9\\-]*[a-z0-9])?"},
		{Key: "autocapitalize", Value: "none"}, {Key: "spellcheck", Value: "false"}}
}

func logoAttrs() templ.OrderedAttributes {
	return templ.OrderedAttributes{{Key: "accept", Value: "image/png,image/jpeg,image/gif,image/webp"}}
}

func memberName(m OrgMember) string {
	if m.Name != "" {
		return m.Name
	}
	if m.Email != "" {
		return m.Email
	}
	return "A member"
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
