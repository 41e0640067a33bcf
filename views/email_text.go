package views

import "strings"

// The sentences live here once so the HTML and plain-text bodies say the same.

// CodeEmailSubject puts the code first so it shows in the inbox preview.
func CodeEmailSubject(p CodeEmail) string {
	return p.Code + " is your " + p.AppName + " verification code"
}

func ExistingAccountEmailSubject(p ExistingAccountEmail) string {
	return "You already have a " + p.AppName + " account"
}

func codePurpose(p CodeEmail) string {
	switch p.Purpose {
	case "sign-in":
		return "Enter this code to sign in to " + p.AppName + "."
	case "sign-up":
		return "Enter this code to verify your email address and finish creating your " + p.AppName + " account."
	}
	return "Enter this code to verify your email address for " + p.AppName + "."
}

func codeExpiry(p CodeEmail) string {
	return "The code expires in " + plural(p.Minutes, "minute", "minutes") + "."
}

func codeIgnore(p CodeEmail) string {
	return "If you didn't ask for this code, you can ignore this email. Never share it: " +
		p.AppName + " will never ask you for it."
}

func existingIntro(p ExistingAccountEmail) string {
	return "Someone tried to create a new " + p.AppName +
		" account with this email address. It already belongs to your account, so you can simply sign in."
}

func existingIgnore() string {
	return "If this wasn't you, you can ignore this email. Nothing has changed in your account."
}

func CodeEmailText(p CodeEmail) string {
	var b strings.Builder
	b.WriteString(p.AppName + "\n\n")
	b.WriteString(codePurpose(p) + "\n\n")
	b.WriteString("    " + p.Code + "\n\n")
	b.WriteString(codeExpiry(p) + "\n\n")
	b.WriteString(codeIgnore(p) + "\n")
	return b.String()
}

func ExistingAccountEmailText(p ExistingAccountEmail) string {
	var b strings.Builder
	b.WriteString(p.AppName + "\n\n")
	b.WriteString(existingIntro(p) + "\n\n")
	if p.SignInURL != "" {
		b.WriteString("Sign in: " + p.SignInURL + "\n\n")
	}
	b.WriteString(existingIgnore() + "\n")
	return b.String()
}
