package config

import "testing"

// Express consent to legal documents is off by default, and on it loads
// from every layer with the documents it links to.
func TestLegalConsentSettings(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.LegalConsent || c.TermsURL != "" || c.PrivacyURL != "" {
		t.Errorf("defaults: consent %v, terms %q, privacy %q; want off and none", c.LegalConsent, c.TermsURL, c.PrivacyURL)
	}

	path := writeFile(t, "legal_consent: true\nterms_url: https://acme.example/terms\n")
	c, err = load([]string{"--privacy-url=https://acme.example/privacy?v=2"}, map[string]string{"PORTAL_CONFIG": path})
	if err != nil {
		t.Fatal(err)
	}
	if !c.LegalConsent || c.TermsURL != "https://acme.example/terms" || c.PrivacyURL != "https://acme.example/privacy?v=2" {
		t.Errorf("loaded consent %v, terms %q, privacy %q", c.LegalConsent, c.TermsURL, c.PrivacyURL)
	}

	// One document is enough; so is a URL without consent (kept for later).
	for _, vars := range []map[string]string{
		{"PORTAL_LEGAL_CONSENT": "true", "PORTAL_PRIVACY_URL": "http://localhost:3000/privacy"},
		{"PORTAL_LEGAL_CONSENT": "true", "PORTAL_TERMS_URL": "https://acme.example/terms"},
		{"PORTAL_TERMS_URL": "https://acme.example/terms"},
	} {
		if _, err := load(nil, vars); err != nil {
			t.Errorf("%v: %v", vars, err)
		}
	}
}

// Consent with nothing to agree to, and a document that is not an absolute
// http(s) URL, stop start-up with a message naming the key and the fix.
func TestLegalConsentValidation(t *testing.T) {
	mustFail(t, nil, map[string]string{"PORTAL_LEGAL_CONSENT": "true"},
		"PORTAL_LEGAL_CONSENT: needs the documents people agree to: set PORTAL_TERMS_URL, PORTAL_PRIVACY_URL or both")
	mustFail(t, nil, map[string]string{"PORTAL_LEGAL_CONSENT": "maybe"}, `PORTAL_LEGAL_CONSENT: "maybe" is not true or false`)
	for _, bad := range []string{"/terms", "acme.example/terms", "ftp://acme.example/terms", "javascript:alert(1)",
		"https://", "https://user:pw@acme.example/terms", `https://acme.example/"onmouseover=x`, "https://acme.example/a b"} {
		mustFail(t, nil, map[string]string{"PORTAL_LEGAL_CONSENT": "true", "PORTAL_TERMS_URL": bad},
			"PORTAL_TERMS_URL: ", "must be an absolute http(s) URL of the page, such as https://example.com/legal")
		mustFail(t, nil, map[string]string{"PORTAL_PRIVACY_URL": bad},
			"PORTAL_PRIVACY_URL: ", "must be an absolute http(s) URL")
	}
}
