package theme

// variable is one appearance variable: Clerk's name, the custom property
// static/portal.css reads, and how its value is checked.
type variable struct {
	Name     string
	Property string
	kind     kind
}

// Variables lists every variable in the order the CSS block is written.
var variables = []variable{
	{"colorPrimary", "--color-primary", colorKind},
	{"colorPrimaryForeground", "--color-primary-foreground", colorKind},
	{"colorBackground", "--color-background", colorKind},
	{"colorForeground", "--color-foreground", colorKind},
	{"colorMutedForeground", "--color-muted-foreground", colorKind},
	{"colorMuted", "--color-muted", colorKind},
	{"colorInput", "--color-input", colorKind},
	{"colorInputForeground", "--color-input-foreground", colorKind},
	{"colorBorder", "--color-border", colorKind},
	{"colorRing", "--color-ring", colorKind},
	{"colorDanger", "--color-danger", colorKind},
	{"colorSuccess", "--color-success", colorKind},
	{"colorWarning", "--color-warning", colorKind},
	{"colorNeutral", "--color-neutral", colorKind},
	{"fontFamily", "--font-family", fontKind},
	{"fontFamilyButtons", "--font-family-buttons", fontKind},
	{"fontSize", "--font-size", lengthKind},
	{"fontWeight", "--font-weight", weightKind},
	{"borderRadius", "--border-radius", lengthKind},
	{"spacing", "--spacing", lengthKind},
}

// option is one of the theme's non-CSS settings, with Clerk's name.
type option struct {
	Name string
	kind kind
	set  func(o *Options, v string)
}

var options = []option{
	{"applicationName", textKind, func(o *Options, v string) { o.ApplicationName = v }},
	{"logoImageUrl", logoURLKind, func(o *Options, v string) { o.LogoImageURL = v }},
	{"logoImageFile", fileKind, func(o *Options, v string) { o.LogoImageFile = v }},
	{"logoLinkUrl", urlKind, func(o *Options, v string) { o.LogoLinkURL = v }},
	{"logoPlacement", enumKind("inside", "outside", "none"), func(o *Options, v string) { o.LogoPlacement = v }},
	{"socialButtonsVariant", enumKind("blockButton", "iconButton", "auto"), func(o *Options, v string) { o.SocialButtonsVariant = v }},
	{"socialButtonsPlacement", enumKind("top", "bottom"), func(o *Options, v string) { o.SocialButtonsPlacement = v }},
	{"showOptionalFields", boolKind, func(o *Options, v string) { o.ShowOptionalFields = v == "true" }},
	{"termsPageUrl", urlKind, func(o *Options, v string) { o.TermsPageURL = v }},
	{"privacyPageUrl", urlKind, func(o *Options, v string) { o.PrivacyPageURL = v }},
	{"helpPageUrl", urlKind, func(o *Options, v string) { o.HelpPageURL = v }},
}

// Options are the theme's settings that are not CSS: what the page shows
// around the form. Empty strings mean "none".
type Options struct {
	ApplicationName        string // overrides PORTAL_APP_NAME when set (Theme.AppName)
	LogoImageURL           string
	LogoImageFile          string // the logo's file, as read (see Theme.Logo); set instead of LogoImageURL
	LogoLinkURL            string
	LogoPlacement          string // inside, outside or none
	SocialButtonsVariant   string // blockButton, iconButton or auto
	SocialButtonsPlacement string // top or bottom
	ShowOptionalFields     bool
	TermsPageURL           string
	PrivacyPageURL         string
	HelpPageURL            string

	// The logo under prefers-color-scheme: dark (dark: options:), by URL
	// or by file (as read: see Theme.DarkLogo), or neither; only ever with
	// a logo above for it to replace.
	DarkLogoImageURL  string
	DarkLogoImageFile string
}

// defaultOptions apply when no theme in the chain sets an option.
var defaultOptions = map[string]string{
	"logoPlacement": "inside", "socialButtonsVariant": "auto", "socialButtonsPlacement": "top",
	"showOptionalFields": "true",
}

func lookupVariable(name string) (variable, bool) {
	for _, v := range variables {
		if v.Name == name {
			return v, true
		}
	}
	return variable{}, false
}

func lookupOption(name string) (option, bool) {
	for _, o := range options {
		if o.Name == name {
			return o, true
		}
	}
	return option{}, false
}

// VariableNames lists the accepted variable names, for error messages and docs.
func VariableNames() []string {
	out := make([]string, len(variables))
	for i, v := range variables {
		out[i] = v.Name
	}
	return out
}

// OptionNames lists the accepted option names.
func OptionNames() []string {
	out := make([]string, len(options))
	for i, o := range options {
		out[i] = o.Name
	}
	return out
}
