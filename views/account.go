package views

import "github.com/a-h/templ"

// The account pages' texts come from the catalog (internal/i18n, area
// "account"); the helpers below pick the message and fill the fields.

// imageField is the profile image upload; the server checks type and size
// again, accept only helps the file picker.
func imageField(p Page, errMsg string) field {
	return field{Name: "image", Label: p.T("account.profile.image_label"), Type: "file", Error: errMsg,
		Hint: p.T("account.profile.image_hint"), Autofocus: errMsg != "", // a refused upload: the person is taken back to it
		Attrs: templ.OrderedAttributes{{Key: "accept", Value: "image/png,image/jpeg,image/gif,image/webp"}}}
}

// languageField is the account's language, from those the portal speaks,
// each named in itself and marked with its lang.
func languageField(p UserProfile) field {
	f := field{Name: "locale", Label: p.T("account.language.label"), Hint: p.T("account.language.hint"),
		Autocomplete: "language", Value: p.Language, Error: p.Errors["locale"], Options: []option{}}
	for _, l := range p.Languages {
		f.Options = append(f.Options, option{Value: l.Locale, Label: l.Name, Lang: l.Locale})
	}
	return f
}

func profileFields(p UserProfile) []field {
	fields := []field{
		{Name: "first_name", Label: p.T("field.first_name"), Type: "text", Value: p.FirstName, Autocomplete: "given-name",
			Error: p.Errors["first_name"], Optional: true, Attrs: nameAttrs()},
		{Name: "last_name", Label: p.T("field.last_name"), Type: "text", Value: p.LastName, Autocomplete: "family-name",
			Error: p.Errors["last_name"], Optional: true, Attrs: nameAttrs()},
	}
	if p.ShowUsername {
		// Optional until there is one (a person may save their names
		// without choosing one); then it can be changed, not cleared.
		fields = append(fields, field{Name: "username", Label: p.T("field.username"), Type: "text", Value: p.Username,
			Autocomplete: "username", Error: p.Errors["username"], Attrs: usernameAttrs(),
			Optional: !p.HasUsername, Required: p.HasUsername})
	}
	// A refused save takes the person to the first field to fix; otherwise
	// the long page keeps no field focused (a notice takes it after a change).
	return focusError(fields)
}

// addPhoneLabel is the phone list's "Add a phone number", "" where only the
// operator adds numbers (phone numbers are no identifier on the instance).
func addPhoneLabel(p UserProfile) string {
	if !p.AddPhones {
		return ""
	}
	return p.T("account.identifiers.add_phone")
}

func deviceName(p Page, d ProfileDevice) string {
	if d.OS == "" {
		return d.Browser
	}
	return p.T("account.devices.browser_on_os", "Browser", d.Browser, "OS", d.OS)
}

func addIdentifierField(p UserAddIdentifier) field {
	if p.Phone {
		return field{Name: "phone_number", Label: p.T("field.phone_number"), Type: "tel", Value: p.Value, Autocomplete: "tel",
			Error: p.Errors["phone_number"], Required: true, Autofocus: true,
			Hint: p.T("account.identifiers.phone_hint")}
	}
	return field{Name: "email_address", Label: p.T("field.email_address"), Type: "email", Value: p.Value, Autocomplete: "email",
		Error: p.Errors["email_address"], Required: true, Autofocus: true, Attrs: emailAttrs(),
		Hint: p.T("account.identifiers.email_hint")}
}

func addIdentifierTitle(p UserAddIdentifier) string {
	if p.Phone {
		return p.T("account.identifiers.add_phone")
	}
	return p.T("account.identifiers.add_email")
}

func verifyIdentifierTitle(p UserVerifyIdentifier) string {
	if p.Phone {
		return p.T("signup.verify_title_phone")
	}
	return p.T("link.verify_heading")
}

// passwordFields are the password page's fields, the first to fix (or the
// first) focused.
func passwordFields(p UserPassword) []field {
	var fields []field
	if p.AskCurrent {
		fields = append(fields, currentPasswordField(p.Page, p.Errors["current_password"]))
	}
	return focusFirst(append(fields, accountPasswordField(p.Page, p.Errors["password"], p.PasswordMin, !p.Set)))
}

func currentPasswordField(p Page, errMsg string) field {
	return field{Name: "current_password", Label: p.T("account.password.current"), Type: "password",
		Autocomplete: "current-password", Error: errMsg, Required: true}
}

// accountPasswordField is the new password, in the page's language;
// change labels it "New password", beside the current one.
func accountPasswordField(p Page, errMsg string, min int, change bool) field {
	f := newPasswordField(errMsg, min)
	f.Label = p.T("field.password")
	if change {
		f.Label = p.T("account.password.new")
	}
	if min > 0 {
		f.Hint = p.N("field.password_hint", min)
	}
	return f
}

// accountCodeField is the emailed or texted code, in the page's language.
func accountCodeField(p Page, errMsg string) field {
	f := codeField(errMsg)
	f.Label = p.T("field.code")
	return f
}

// accountTOTPField is the authenticator app's code, in the page's language.
func accountTOTPField(p Page, errMsg string) field {
	f := totpCodeField(errMsg)
	f.Label = p.T("account.verify.totp_label")
	return f
}

func passwordTitle(p UserPassword) string {
	if p.Set {
		return p.T("account.password.set_title")
	}
	return p.T("account.password.change_title")
}

func verifyTitle(p UserVerify) string {
	switch p.Strategy {
	case "password":
		return p.T("signin.password_title")
	case "totp":
		return p.T("account.verify.title_totp")
	case "passkey":
		return p.T("account.verify.title_passkey")
	case "phone_code":
		return p.T("signin.code_title_phone")
	}
	return p.T("signin.code_title_email")
}

func identifierCodeStrategy(p UserVerifyIdentifier) string {
	if p.Phone {
		return "phone_code"
	}
	return "email_code"
}

func passkeyAddSubtitle(p PasskeyAdd) string {
	if p.AfterSignUp {
		return p.T("account.passkey.subtitle_after_sign_up")
	}
	return p.T("account.passkey.subtitle")
}

func passkeyAddSkip(p PasskeyAdd) string {
	if p.AfterSignUp {
		return p.T("account.not_now")
	}
	return p.T("account.cancel")
}
