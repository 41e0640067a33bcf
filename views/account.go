package views

import "github.com/a-h/templ"

// imageField is the profile image upload; the server checks type and size
// again, accept only helps the file picker.
func imageField(errMsg string) field {
	return field{Name: "image", Label: "Profile image", Type: "file", Error: errMsg,
		Hint:  "PNG, JPEG, GIF or WebP, up to 5 MB. It is cropped to a square.",
		Attrs: templ.OrderedAttributes{{Key: "accept", Value: "image/png,image/jpeg,image/gif,image/webp"}}}
}

func profileFields(p UserProfile) []field {
	fields := []field{
		{Name: "first_name", Label: "First name", Type: "text", Value: p.FirstName, Autocomplete: "given-name",
			Error: p.Errors["first_name"], Optional: true},
		{Name: "last_name", Label: "Last name", Type: "text", Value: p.LastName, Autocomplete: "family-name",
			Error: p.Errors["last_name"], Optional: true},
	}
	if p.ShowUsername {
		fields = append(fields, field{Name: "username", Label: "Username", Type: "text", Value: p.Username,
			Autocomplete: "username", Error: p.Errors["username"], Attrs: emailAttrs()})
	}
	return fields
}

func deviceName(d ProfileDevice) string {
	if d.OS == "" {
		return d.Browser
	}
	return d.Browser + " on " + d.OS
}

func addIdentifierField(p UserAddIdentifier) field {
	if p.Phone {
		return field{Name: "phone_number", Label: "Phone number", Type: "tel", Value: p.Value, Autocomplete: "tel",
			Error: p.Errors["phone_number"], Required: true, Autofocus: true,
			Hint: "With the country code, like +1 415 555 0100. We'll text it a code."}
	}
	return field{Name: "email_address", Label: "Email address", Type: "email", Value: p.Value, Autocomplete: "email",
		Error: p.Errors["email_address"], Required: true, Autofocus: true, Attrs: emailAttrs(),
		Hint: "We'll email it a code to check it's yours."}
}

func addIdentifierTitle(p UserAddIdentifier) string {
	if p.Phone {
		return "Add a phone number"
	}
	return "Add an email address"
}

func verifyIdentifierTitle(p UserVerifyIdentifier) string {
	if p.Phone {
		return "Verify your phone number"
	}
	return "Verify your email address"
}

func currentPasswordField(errMsg string) field {
	return field{Name: "current_password", Label: "Current password", Type: "password",
		Autocomplete: "current-password", Error: errMsg, Required: true}
}

func passwordTitle(p UserPassword) string {
	if p.Set {
		return "Set a password"
	}
	return "Change your password"
}

func verifyTitle(p UserVerify) string {
	if p.Strategy == "password" {
		return "Enter your password"
	}
	return "Check your " + codeWhere(p.Strategy)
}

func codeWhere(strategy string) string {
	if strategy == "phone_code" {
		return "phone"
	}
	return "email"
}

func identifierCodeStrategy(p UserVerifyIdentifier) string {
	if p.Phone {
		return "phone_code"
	}
	return "email_code"
}
