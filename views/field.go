package views

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/user"
)

// field is one labelled input. Pages build it; formField renders it.
type field struct {
	Name         string
	Key          string // the base of its element IDs when not Name (two forms on a page with one field name)
	Label        string
	Type         string
	Value        string // never rendered for type=password
	Autocomplete string
	Hint         string
	Error        string
	Required     bool
	Optional     bool // shows "Optional" beside the label
	Autofocus    bool
	// DescribedBy names elements outside the field that a screen reader
	// reads with it, before its hint: what a page says above its only
	// field, which the focus skips when it lands on that field.
	DescribedBy string
	Attrs       templ.OrderedAttributes // inputmode, pattern, minlength…
	// Options, when not nil, make the field a list to choose from (a
	// <select>) rather than typed text; the option whose Value is the
	// field's Value is chosen.
	Options []option
	// labelMsg and hintMsg are catalog messages shown when Label or Hint
	// is empty, for fields built without the page at hand.
	labelMsg, hintMsg msg
}

// option is one choice of a list field: its value, what it shows, and
// the language that is in when it is not the page's (a language's name
// in itself), so that a screen reader says it right.
type option struct {
	Value, Label, Lang string
}

func (f field) id() string      { return f.key() + "-field" }
func (f field) hintID() string  { return f.key() + "-hint" }
func (f field) errorID() string { return f.key() + "-error" }

func (f field) key() string {
	if f.Key != "" {
		return f.Key
	}
	return f.Name
}

// value keeps typed input across a failed submit, except a password: sending
// it back would put a secret into the HTML and the browser's cache.
func (f field) value() string {
	if f.Type == "password" {
		return ""
	}
	return f.Value
}

func (f field) label(ctx context.Context) string {
	if f.Label != "" {
		return f.Label
	}
	return f.labelMsg.in(ctx)
}

func (f field) hint(ctx context.Context) string {
	if f.Hint != "" {
		return f.Hint
	}
	return f.hintMsg.in(ctx)
}

func (f field) hasHint() bool { return f.Hint != "" || f.hintMsg.id != "" }

// subtitleID is the ID of the card's subtitle, for a field's DescribedBy.
const subtitleID = "page-subtitle"

// noticeID is the ID of a page's notice (the notice component).
const noticeID = "notice"

// withNotice has a screen reader read the page's notice ("We sent a new
// code") with the field, which takes the focus as the page loads; nothing
// when there is no notice.
func (f field) withNotice(notice string) field {
	if notice != "" {
		f = f.alsoDescribedBy(noticeID)
	}
	return f
}

// alsoDescribedBy ties the element with the given id (a sentence about the
// field that is not its hint) to the field, before what it has.
func (f field) alsoDescribedBy(id string) field {
	f.DescribedBy = strings.TrimSpace(id + " " + f.DescribedBy)
	return f
}

func (f field) describedBy() string {
	var ids []string
	if f.DescribedBy != "" {
		ids = append(ids, f.DescribedBy)
	}
	if f.hasHint() {
		ids = append(ids, f.hintID())
	}
	if f.Error != "" {
		ids = append(ids, f.errorID())
	}
	return strings.Join(ids, " ")
}

// emailAttrs keeps phones and browsers from capitalising or "correcting" an address.
func emailAttrs() templ.OrderedAttributes {
	return templ.OrderedAttributes{
		{Key: "autocapitalize", Value: "none"},
		{Key: "spellcheck", Value: "false"},
	}
}

// passwordScript and resendScript put their script on a page once, however
// many fields or buttons it has.
var (
	passwordScript = templ.NewOnceHandle()
	resendScript   = templ.NewOnceHandle()
)

// revealable is a password field that static/password.js may turn into a
// text field to show what was typed. Shown, it is still the password: a
// phone keyboard must not capitalise or "correct" what the person types
// on, and the browser must not spell-check it (enhanced spell-checking
// sends a text field's words to a server). While the field is
// type=password these do nothing, so they are there from the start rather
// than set by the script.
func (f field) revealable() field {
	f.Attrs = append(slices.Clip(f.Attrs), templ.OrderedAttributes{
		{Key: "autocapitalize", Value: "none"},
		{Key: "autocorrect", Value: "off"},
		{Key: "spellcheck", Value: "false"},
	}...)
	return f
}

// usernameAttrs are emailAttrs with the lengths user.NormalizeUsername
// allows (it trims first, and usernames are ASCII, so browsers count the
// same characters).
func usernameAttrs() templ.OrderedAttributes {
	return append(emailAttrs(), templ.OrderedAttributes{
		{Key: "minlength", Value: itoa(user.UsernameMin)},
		{Key: "maxlength", Value: itoa(user.UsernameMax)},
	}...)
}

// nameMax is the most characters sign-up and the account page accept in a
// first or last name.
const nameMax = 100

func nameAttrs() templ.OrderedAttributes {
	return templ.OrderedAttributes{{Key: "maxlength", Value: itoa(nameMax)}}
}

func codeField(errMsg string) field {
	return field{
		Name:         "code",
		labelMsg:     msg{id: "field.code"},
		Type:         "text",
		Autocomplete: "one-time-code",
		Error:        errMsg,
		Required:     true,
		Autofocus:    true,
		Attrs: templ.OrderedAttributes{
			// No maxlength (it cuts a pasted " 123456" to " 12345") and no
			// pattern: "123 456", full-width digits and spaces around are
			// read (flow.CleanCode), and anything else gets the portal's
			// own message in the page's language, not the browser's.
			{Key: "inputmode", Value: "numeric"},
		},
	}
}

// focusFirst puts autofocus on the first field with an error, or else on the
// first field, so a person lands where there is something to do.
func focusFirst(fields []field) []field {
	at := 0
	for i, f := range fields {
		if f.Error != "" {
			at = i
			break
		}
	}
	if len(fields) > 0 {
		fields[at].Autofocus = true
	}
	return fields
}

// focusError puts autofocus on the first field with an error, and on none
// when there is none: for a form that is one of several on a long page,
// whose refusal must take the person to the field to fix, not leave them
// at the top of the page with the message out of sight below.
func focusError(fields []field) []field {
	for i := range fields {
		if fields[i].Error != "" {
			fields[i].Autofocus = true
			break
		}
	}
	return fields
}

// docTitle is the window title, the first thing a screen reader says of
// a page. A form sent back with something to fix says so first ("Error:
// Sign in · Portal"), as the page looks much as it did before sending.
func docTitle(ctx context.Context, p Page) string {
	t := p.AppName
	switch {
	case p.Title == "":
	case p.AppName == "":
		t = p.Title
	default:
		t = p.T("layout.title", "Page", p.Title, "App", p.AppName)
	}
	if FormError(ctx) {
		return p.T("layout.title_error", "Title", t)
	}
	return t
}

type formErrorKey struct{}

// WithFormError marks the page rendered with ctx as a form sent back with
// something to fix (the handler answered 4xx with the form): its title
// starts with "Error:".
func WithFormError(ctx context.Context) context.Context {
	return context.WithValue(ctx, formErrorKey{}, true)
}

type stepURLKey struct{}

// WithStepURL marks the page rendered with ctx as a step of a flow sent
// back with something to fix, whose own address is url (a GET of it shows
// the step where the flow is now): the page makes that address its
// history entry (static/history.js), so that Back to it or a reload is no
// resubmitted form.
func WithStepURL(ctx context.Context, url string) context.Context {
	return context.WithValue(ctx, stepURLKey{}, url)
}

// StepURL is the address WithStepURL gave ctx, "" for none.
func StepURL(ctx context.Context) string {
	v, _ := ctx.Value(stepURLKey{}).(string)
	return v
}

// FormError reports whether ctx carries WithFormError.
func FormError(ctx context.Context) bool {
	v, _ := ctx.Value(formErrorKey{}).(bool)
	return v
}

func lang(p Page) string {
	if p.Lang == "" {
		return "en"
	}
	return p.Lang
}

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// footerLink is nil when there is nowhere to link to, so the card leaves
// the footer out. An empty label says "Go back".
// signUpFooter is nil when the page links nowhere.
func signUpFooter(p SignUp) templ.Component {
	if p.SignInURL == "" && p.BackURL == "" {
		return nil
	}
	return signUpFooterLinks(p)
}

func footerLink(text, label, href string) templ.Component {
	if href == "" {
		return nil
	}
	return footerAction(text, label, href)
}

func identifierField(p SignInStart) field {
	f := field{Name: "identifier", Label: p.IdentifierLabel, Type: p.IdentifierType, Value: p.Identifier,
		Autocomplete: "username", Error: p.Errors["identifier"], Required: true, Autofocus: true, Attrs: emailAttrs()}
	if f.Label == "" {
		f.Label = p.T("field.email_address")
	}
	if f.Type == "" {
		f.Type = "email"
	}
	if p.Passkey != nil { // the browser offers passkeys in this field's autofill
		f.Autocomplete = "username webauthn"
	}
	return f
}

// shown is the identifier in the identity preview: as people read it,
// while the password managers' field keeps the account's own form.
func (p SignInPassword) shown() string    { return orIdentifier(p.Shown, p.Identifier) }
func (p SignInNewPassword) shown() string { return orIdentifier(p.Shown, p.Identifier) }

// subtitle says why a new password is asked for when the old one is marked
// as compromised, which the person may not expect after signing in
// another way.
func (p SignInNewPassword) subtitle() string {
	if p.Compromised {
		return p.T("signin.new_password_compromised")
	}
	return p.T("signin.new_password_subtitle")
}

// forgotTitle: a person whose password is marked as compromised did not
// forget it.
func (p SignInForgot) forgotTitle() string {
	if p.Compromised {
		return p.T("signin.compromised_title")
	}
	return p.T("signin.forgot_title")
}

// compromisedReason says why the password has to be changed: found in a
// data breach at this sign-in, or marked by the operator.
func (p SignInForgot) compromisedReason() string {
	if p.Breached {
		return p.T("error.signin.password_breached")
	}
	return p.T("error.signin.password_compromised")
}

func orIdentifier(shown, identifier string) string {
	if shown != "" {
		return shown
	}
	return identifier
}

func newPasswordField(errMsg string, min int) field {
	f := field{Name: "password", labelMsg: msg{id: "field.password"}, Type: "password", Autocomplete: "new-password",
		Error: errMsg, Required: true}
	if min > 0 {
		f.hintMsg = msg{id: "field.password_hint", count: min}
		f.Attrs = templ.OrderedAttributes{{Key: "minlength", Value: itoa(min)}}
	}
	return f
}

// resetPasswordField is the password chosen after "Forgot password?":
// "New password", as on the account page, since the person came for a
// new one (sign-up's field is plain "Password"). It is the page's one
// field, so the person lands in it, from the code and after a refusal.
func resetPasswordField(errMsg string, min int) field {
	f := newPasswordField(errMsg, min)
	f.labelMsg = msg{id: "account.password.new"}
	f.Autofocus = true
	return f
}

func signUpFields(p SignUp) []field {
	var fields []field
	optional := !p.HideOptionalFields || p.FlowID != ""
	if p.ShowNames && (p.RequireNames || optional || p.FirstName != "" || p.LastName != "" ||
		p.Errors["first_name"] != "" || p.Errors["last_name"] != "") {
		fields = append(fields,
			field{Name: "first_name", Label: p.T("field.first_name"), Type: "text", Value: p.FirstName, Autocomplete: "given-name",
				Error: p.Errors["first_name"], Required: p.RequireNames, Optional: !p.RequireNames, Attrs: nameAttrs()},
			field{Name: "last_name", Label: p.T("field.last_name"), Type: "text", Value: p.LastName, Autocomplete: "family-name",
				Error: p.Errors["last_name"], Required: p.RequireNames, Optional: !p.RequireNames, Attrs: nameAttrs()},
		)
	}
	if p.ShowUsername {
		fields = append(fields, field{Name: "username", Label: p.T("field.username"), Type: "text", Value: p.Username,
			Autocomplete: "username", Error: p.Errors["username"], Required: p.RequireUsername,
			Optional: !p.RequireUsername, Attrs: usernameAttrs()})
	}
	if p.ShowEmail {
		f := field{Name: "email_address", Label: p.T("field.email_address"), Type: "email", Value: p.Email,
			Autocomplete: "email", Error: p.Errors["email_address"], Required: p.RequireEmail,
			Optional: !p.RequireEmail, Attrs: emailAttrs()}
		if p.InvitedEmail != "" && strings.EqualFold(strings.TrimSpace(p.Email), p.InvitedEmail) {
			f.Hint = p.T("signup.invited_address_hint")
		}
		fields = append(fields, f)
	}
	if p.ShowPhone {
		fields = append(fields, field{Name: "phone_number", Label: p.T("field.phone_number"), Type: "tel", Value: p.Phone,
			Autocomplete: "tel", Error: p.Errors["phone_number"], Required: p.RequirePhone, Optional: !p.RequirePhone,
			Hint: p.T("field.phone_hint")})
	}
	if p.ShowPassword {
		fields = append(fields, newPasswordField(p.Errors["password"], p.PasswordMin))
	}
	if len(p.Errors) == 0 && p.Focus != "" {
		for i := range fields {
			if fields[i].Name == p.Focus {
				fields[i].Autofocus = true
				return fields
			}
		}
	}
	return focusFirstEmpty(fields)
}

// focusFirstEmpty puts autofocus on the first field with an error, or else
// on the first field left to fill, as Clerk does: sign-up opened from an
// invitation (or a link with the address in it) has the address filled,
// and the person lands where typing starts. With every field filled, the
// first takes it.
func focusFirstEmpty(fields []field) []field {
	for i, f := range fields {
		if f.Error != "" {
			fields[i].Autofocus = true
			return fields
		}
	}
	for i, f := range fields {
		if f.Value == "" {
			fields[i].Autofocus = true
			return fields
		}
	}
	return focusFirst(fields)
}

func signUpTitle(p SignUp) string {
	if p.FlowID != "" {
		return p.T("signup.continue_title")
	}
	return p.T("signup.title")
}

func signUpSubtitle(p SignUp) string {
	if p.FlowID != "" && p.Legal != nil && !p.ShowEmail && !p.ShowPhone && !p.ShowUsername && !p.ShowNames {
		return p.T("signup.consent_subtitle") // the box is all that is left
	}
	if p.FlowID != "" && p.Captcha != nil && !p.ShowEmail && !p.ShowPhone && !p.ShowUsername && !p.ShowNames {
		return p.T("signup.captcha_subtitle") // the check is all that is left
	}
	if p.FlowID != "" && p.Provider != "" {
		return p.T("signup.continue_subtitle_provider", "Provider", p.Provider)
	}
	if p.FlowID != "" {
		return p.T("signup.continue_subtitle")
	}
	if p.InvitedTo != "" && p.InvitedBy != "" {
		return p.T("signup.invited_org_from", "Inviter", p.InvitedBy, "Org", p.InvitedTo)
	}
	if p.InvitedTo != "" {
		return p.T("signup.invited_org", "Org", p.InvitedTo)
	}
	return p.T("signup.subtitle")
}

func connectedDetail(a ConnectedAccount) string {
	switch {
	case a.Email != "":
		return a.Email
	case a.Username != "":
		return a.Username
	}
	return ""
}

func backupCodeField(errMsg string) field {
	return field{Name: "code", labelMsg: msg{id: "field.backup_code"}, Type: "text", Autocomplete: "off", Error: errMsg,
		Required: true, Autofocus: true, hintMsg: msg{id: "field.backup_code_hint"},
		Attrs: templ.OrderedAttributes{{Key: "autocapitalize", Value: "none"}, {Key: "spellcheck", Value: "false"},
			{Key: "maxlength", Value: "64"}}}
}

func totpCodeField(errMsg string) field {
	f := codeField(errMsg)
	f.labelMsg = msg{id: "field.totp_code"}
	return f
}

// socialAt is where the theme puts the provider buttons: "top" or "bottom".
func socialAt(p Page) string {
	if p.SocialPlacement == "bottom" {
		return "bottom"
	}
	return "top"
}

// socialCompact reports whether provider buttons are a compact row.
func socialCompact(p Page, n int) bool {
	switch p.SocialVariant {
	case "iconButton":
		return true
	case "blockButton":
		return false
	}
	return n >= 3 // "auto", as Clerk does
}

// waitlistField is /waitlist's one field, the address to put on the list.
func waitlistField(p Waitlist) field {
	return field{Name: "email_address", Label: p.T("field.email_address"), Type: "email", Value: p.Email,
		Autocomplete: "email", Error: p.Errors["email_address"], Required: true, Autofocus: true, Attrs: emailAttrs()}
}

// signUpLabel names the sign-in page's way to join: sign up, or in
// waitlist mode join the waiting list.
func signUpLabel(p SignInStart) string {
	if p.JoinWaitlist {
		return p.T("button.join_waitlist")
	}
	return p.T("button.sign_up")
}

// accountNameInput is the type and label of the hidden field that tells a
// password manager which account a password belongs to: an email address,
// a phone number (E.164, as the flow keeps it) or a username.
func accountNameInput(identifier string) (inputType, labelKey string) {
	switch {
	case strings.Contains(identifier, "@"):
		return "email", "field.email_address"
	case strings.HasPrefix(identifier, "+"):
		return "tel", "field.phone_number"
	default:
		return "text", "field.username"
	}
}

// resendRegion makes the form of a resend button that must wait a polite
// live region, read whole: when static/resend.js turns the button on, a
// screen reader says "Didn't get it? Resend code" once it has finished
// what it was saying, and the focus stays where the person is typing the
// code. Nothing without a wait: a region is only for what changes.
func resendRegion(wait int) templ.OrderedAttributes {
	if wait <= 0 {
		return nil
	}
	return templ.OrderedAttributes{
		{Key: "aria-live", Value: "polite"},
		{Key: "aria-atomic", Value: "true"},
	}
}
