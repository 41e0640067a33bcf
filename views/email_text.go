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
	case "reset-password":
		return "Enter this code to choose a new password for your " + p.AppName + " account."
	case "add-email":
		return "Enter this code to add this email address to your " + p.AppName + " account."
	case "reverify":
		return "Enter this code to confirm it's you before changing your " + p.AppName + " account."
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

// verifies reports whether the link verifies an address rather than signing in.
func (p LinkEmail) verifies() bool { return p.Purpose == "sign-up" || p.Purpose == "add-email" }

// LinkEmailSubject names the action the link performs.
func LinkEmailSubject(p LinkEmail) string {
	if p.verifies() {
		return "Verify your email address for " + p.AppName
	}
	return "Your " + p.AppName + " sign-in link"
}

func linkHeading(p LinkEmail) string {
	if p.verifies() {
		return "Verify your email address"
	}
	return "Sign in to " + p.AppName
}

func linkButton(p LinkEmail) string {
	if p.verifies() {
		return "Verify email address"
	}
	return "Sign in"
}

func linkPurpose(p LinkEmail) string {
	switch p.Purpose {
	case "sign-up":
		return "Open this link to verify your email address and finish creating your " + p.AppName + " account."
	case "add-email":
		return "Open this link in the browser where you added this address to your " + p.AppName +
			" account, to verify it. It works only there."
	}
	return "Open this link to sign in to " + p.AppName + ". You can open it on this device or on the one where you asked for it."
}

func linkExpiry(p LinkEmail) string {
	return "The link works once and expires in " + plural(p.Minutes, "minute", "minutes") + "."
}

func linkIgnore(p LinkEmail) string {
	if p.Purpose == "add-email" {
		return "If you didn't add this address, you can ignore this email: it won't be added to anything."
	}
	return "If you didn't ask for this link, you can ignore this email. Never forward it: anyone with it can sign in as you."
}

// LinkEmailText is the plain-text body of a link email.
func LinkEmailText(p LinkEmail) string {
	var b strings.Builder
	b.WriteString(p.AppName + "\n\n")
	b.WriteString(linkPurpose(p) + "\n\n")
	b.WriteString(p.URL + "\n\n")
	b.WriteString(linkExpiry(p) + "\n\n")
	b.WriteString(linkIgnore(p) + "\n")
	return b.String()
}

func PasswordChangedEmailSubject(p PasswordChangedEmail) string {
	return "Your " + p.AppName + " password was changed"
}

func passwordChangedIntro(p PasswordChangedEmail) string {
	return "The password of your " + p.AppName + " account was changed on " + p.When + "."
}

func passwordChangedNotYou(p PasswordChangedEmail) string {
	return "If you did this, there is nothing more to do. If you didn't, reset your password right away at " +
		p.SignInURL + " (choose \"Forgot password?\") and contact support."
}

// PasswordChangedEmailText is the plain-text body of the notice.
func PasswordChangedEmailText(p PasswordChangedEmail) string {
	return p.AppName + "\n\n" + passwordChangedIntro(p) + "\n\n" + passwordChangedNotYou(p) + "\n"
}

// SMSCodeText is the text message carrying a code. The last line lets
// browsers that support WebOTP fill the code in for the person.
func SMSCodeText(p SMSCode) string {
	var what string
	switch p.Purpose {
	case "sign-up":
		what = "to verify your phone number"
	case "reset-password":
		what = "to reset your password"
	case "add-phone":
		what = "to add this number to your account"
	case "reverify":
		what = "to confirm it's you"
	default:
		what = "to sign in"
	}
	s := p.Code + " is your " + p.AppName + " code " + what + ". It expires in " +
		plural(p.Minutes, "minute", "minutes") + ". Don't share it."
	if p.Domain != "" {
		s += "\n\n@" + p.Domain + " #" + p.Code
	}
	return s
}

func PrimaryEmailChangedEmailSubject(p PrimaryEmailChangedEmail) string {
	return "Your " + p.AppName + " email address was changed"
}

func primaryEmailChangedIntro(p PrimaryEmailChangedEmail) string {
	return "On " + p.When + " the primary email address of your " + p.AppName + " account was changed to " +
		p.NewAddress + ". Messages about your account now go there."
}

func primaryEmailChangedNotYou(p PrimaryEmailChangedEmail) string {
	return "If you did this, there is nothing more to do. If you didn't, sign in at " + p.SignInURL +
		", change your password and contact support right away."
}

// PrimaryEmailChangedEmailText is the plain-text body of the notice.
func PrimaryEmailChangedEmailText(p PrimaryEmailChangedEmail) string {
	return p.AppName + "\n\n" + primaryEmailChangedIntro(p) + "\n\n" + primaryEmailChangedNotYou(p) + "\n"
}
