package views

import "strings"

// legalField is the consent box's form field name (signup.FieldLegal).
const legalField = "legal_accepted"

// legalPart is a piece of the consent sentence: text, or a document's
// name linked to it.
type legalPart struct {
	Text string
	URL  string // set for a link
}

// Markers stand for the documents' links in the translated sentence, so
// that each language puts them where its word order wants them.
const (
	termsMark   = "\x00terms\x00"
	privacyMark = "\x00privacy\x00"
)

// legalParts is the consent sentence in the page's language, "I agree to
// the Terms of Service and Privacy Policy", naming the documents
// configured, each a link.
func legalParts(p Page, l LegalConsent) []legalPart {
	id := "signup.legal_label_both"
	switch {
	case l.TermsURL == "":
		id = "signup.legal_label_privacy"
	case l.PrivacyURL == "":
		id = "signup.legal_label_terms"
	}
	sentence := p.T(id, "Terms", termsMark, "Privacy", privacyMark)
	links := map[string]legalPart{
		termsMark:   {Text: p.T("signup.terms_of_service"), URL: l.TermsURL},
		privacyMark: {Text: p.T("signup.privacy_policy"), URL: l.PrivacyURL},
	}
	var out []legalPart
	for sentence != "" {
		at, mark := -1, ""
		for m := range links {
			if i := strings.Index(sentence, m); i >= 0 && (at < 0 || i < at) {
				at, mark = i, m
			}
		}
		if at < 0 {
			out = append(out, legalPart{Text: sentence})
			break
		}
		if at > 0 {
			out = append(out, legalPart{Text: sentence[:at]})
		}
		out = append(out, links[mark])
		sentence = sentence[at+len(mark):]
	}
	return out
}

func legalDescribedBy(errMsg string) string {
	if errMsg == "" {
		return ""
	}
	return legalField + "-error"
}

// signUpButton is the sign-up form's button: "Create account", or
// "Continue" on the step that asks for what a sign-up still needs.
func signUpButton(p SignUp) string {
	if p.FlowID != "" {
		return p.T("button.continue")
	}
	return p.T("button.create_account")
}
