package views

// themeHref is the theme stylesheet's address; every page links it after
// portal.css so the theme's variables win.
func themeHref(p Page) string {
	if p.ThemeCSS == "" {
		return "/theme.css"
	}
	return p.ThemeCSS
}

func hasFooterPages(p Page) bool { return p.TermsURL != "" || p.PrivacyURL != "" || p.HelpURL != "" }
