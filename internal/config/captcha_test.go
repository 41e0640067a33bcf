package config

import (
	"strings"
	"testing"
)

const secret = "0x4AAAAAAA-very-secret"

// Bot protection is off by default; a provider with its keys turns it on,
// with the provider's own endpoints unless overridden.
func TestCaptchaDefaultsAndProviderURLs(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.CaptchaProvider != "" {
		t.Fatalf("captcha on by default: %q", c.CaptchaProvider)
	}
	for provider, want := range map[string][2]string{
		"turnstile": {"https://challenges.cloudflare.com/turnstile/v0/siteverify", "https://challenges.cloudflare.com/turnstile/v0/api.js"},
		"hcaptcha":  {"https://api.hcaptcha.com/siteverify", "https://js.hcaptcha.com/1/api.js"},
	} {
		c, err := load(nil, map[string]string{"PORTAL_CAPTCHA_PROVIDER": provider, "PORTAL_CAPTCHA_SITE_KEY": "site",
			"PORTAL_CAPTCHA_SECRET_KEY": secret})
		if err != nil {
			t.Fatal(err)
		}
		if v, s := c.CaptchaURLs(); v != want[0] || s != want[1] {
			t.Errorf("%s: URLs %s, %s; want %s", provider, v, s, want)
		}
	}
	c, err = load([]string{"--captcha-verify-url=http://127.0.0.1:8080/siteverify"}, map[string]string{
		"PORTAL_CAPTCHA_PROVIDER": "turnstile", "PORTAL_CAPTCHA_SITE_KEY": "site", "PORTAL_CAPTCHA_SECRET_KEY": secret,
		"PORTAL_CAPTCHA_SCRIPT_URL": "https://captcha.example.com/api.js"})
	if err != nil {
		t.Fatal(err)
	}
	if v, s := c.CaptchaURLs(); v != "http://127.0.0.1:8080/siteverify" || s != "https://captcha.example.com/api.js" {
		t.Errorf("overrides not kept: %s, %s", v, s)
	}
}

// All or nothing: any captcha setting needs the provider and both keys;
// each message names its key and the fix, and none repeats the secret.
func TestCaptchaValidation(t *testing.T) {
	cases := []struct {
		vars map[string]string
		want []string
	}{
		{map[string]string{"PORTAL_CAPTCHA_SECRET_KEY": secret},
			[]string{"PORTAL_CAPTCHA_PROVIDER: required when other PORTAL_CAPTCHA_* settings are set; give turnstile or hcaptcha",
				"PORTAL_CAPTCHA_SITE_KEY: required with bot protection on"}},
		{map[string]string{"PORTAL_CAPTCHA_PROVIDER": "turnstile"},
			[]string{"PORTAL_CAPTCHA_SITE_KEY: required", "PORTAL_CAPTCHA_SECRET_KEY: required with bot protection on; copy the secret key"}},
		{map[string]string{"PORTAL_CAPTCHA_PROVIDER": "recaptcha", "PORTAL_CAPTCHA_SITE_KEY": "s", "PORTAL_CAPTCHA_SECRET_KEY": secret},
			[]string{`PORTAL_CAPTCHA_PROVIDER: "recaptcha" must be turnstile, hcaptcha or empty (off)`}},
		{map[string]string{"PORTAL_CAPTCHA_PROVIDER": "hcaptcha", "PORTAL_CAPTCHA_SITE_KEY": `s"><script>`, "PORTAL_CAPTCHA_SECRET_KEY": secret},
			[]string{"PORTAL_CAPTCHA_SITE_KEY: ", "is not a site key"}},
		{map[string]string{"PORTAL_CAPTCHA_PROVIDER": "turnstile", "PORTAL_CAPTCHA_SITE_KEY": "s", "PORTAL_CAPTCHA_SECRET_KEY": secret,
			"PORTAL_CAPTCHA_VERIFY_URL": "http://captcha.example.com/siteverify", "PORTAL_CAPTCHA_SCRIPT_URL": "javascript:alert(1)"},
			[]string{`PORTAL_CAPTCHA_VERIFY_URL: "http://captcha.example.com/siteverify" must be an absolute https:// URL (http:// only on loopback`,
				`PORTAL_CAPTCHA_SCRIPT_URL: "javascript:alert(1)" must be an absolute https:// URL`}},
	}
	for _, c := range cases {
		mustFail(t, nil, c.vars, c.want...)
		if _, err := load(nil, c.vars); strings.Contains(err.Error(), secret) {
			t.Errorf("the error repeats the secret key: %v", err)
		}
	}
}

// PORTAL_CAPTCHA_OAUTH_BYPASS names providers as their settings do: a
// built-in one by its name, an OpenID one by its settings' name or its
// provider name (oidc_…), in any case; each maps to the provider's name. A
// name that is no configured provider stops start-up, naming the key and
// the providers there are; so does a bypass without bot protection on.
func TestCaptchaOAuthBypass(t *testing.T) {
	on := map[string]string{"PORTAL_CAPTCHA_PROVIDER": "turnstile", "PORTAL_CAPTCHA_SITE_KEY": "site",
		"PORTAL_CAPTCHA_SECRET_KEY":     secret,
		"PORTAL_OAUTH_GOOGLE_CLIENT_ID": "g", "PORTAL_OAUTH_GOOGLE_CLIENT_SECRET": "gs",
		"PORTAL_OIDC_CORP_ISSUER": "https://sso.corp.example", "PORTAL_OIDC_CORP_CLIENT_ID": "c"}
	with := func(bypass string) map[string]string {
		vars := map[string]string{"PORTAL_CAPTCHA_OAUTH_BYPASS": bypass}
		for k, v := range on {
			vars[k] = v
		}
		return vars
	}
	c, err := load(nil, on)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CaptchaBypass()) != 0 {
		t.Errorf("bypass by default: %v", c.CaptchaBypass())
	}
	for bypass, want := range map[string][]string{"google": {"google"}, "Google, corp": {"google", "oidc_corp"},
		"oidc_corp": {"oidc_corp"}} {
		c, err := load(nil, with(bypass))
		if err != nil {
			t.Fatalf("%q: %v", bypass, err)
		}
		got := c.CaptchaBypass()
		if len(got) != len(want) {
			t.Errorf("%q: bypass %v, want %v", bypass, got, want)
		}
		for _, name := range want {
			if !got[name] {
				t.Errorf("%q: bypass %v, want %v", bypass, got, want)
			}
		}
	}
	mustFail(t, nil, with("google,gitub"),
		`PORTAL_CAPTCHA_OAUTH_BYPASS: "gitub" is not a configured sign-in provider; name one of corp, google`)
	mustFail(t, nil, with("microsoft"), `PORTAL_CAPTCHA_OAUTH_BYPASS: "microsoft" is not a configured sign-in provider`)
	mustFail(t, nil, map[string]string{"PORTAL_CAPTCHA_OAUTH_BYPASS": "google", "PORTAL_OAUTH_GOOGLE_CLIENT_ID": "g",
		"PORTAL_OAUTH_GOOGLE_CLIENT_SECRET": "gs"}, "PORTAL_CAPTCHA_PROVIDER: required when other PORTAL_CAPTCHA_* settings are set")
	delete(on, "PORTAL_OAUTH_GOOGLE_CLIENT_ID")
	delete(on, "PORTAL_OAUTH_GOOGLE_CLIENT_SECRET")
	delete(on, "PORTAL_OIDC_CORP_ISSUER")
	delete(on, "PORTAL_OIDC_CORP_CLIENT_ID")
	mustFail(t, nil, with("google"), `PORTAL_CAPTCHA_OAUTH_BYPASS: "google" is not a configured sign-in provider, and none is configured`)
}
