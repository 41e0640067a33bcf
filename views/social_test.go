package views

import (
	"strings"
	"testing"
)

// The theme's socialButtonsVariant, socialButtonsPlacement and
// showOptionalFields options decide how provider buttons and optional
// sign-up fields appear.
func TestThemeOptionsShapeSocialButtonsAndOptionalFields(t *testing.T) {
	two := []SocialButton{{Provider: "github", Name: "GitHub", Label: "Continue with GitHub", URL: "/sign-in/oauth/github"},
		{Provider: "google", Name: "Google", Label: "Continue with Google", URL: "/sign-in/oauth/google"}}
	three := append(two, SocialButton{Provider: "oidc_corp", Name: "Corp", Label: "Continue with Corp", URL: "/sign-in/oauth/oidc_corp"})

	cases := []struct {
		name         string
		page         Page
		buttons      []SocialButton
		wantIcons    bool
		buttonsFirst bool
	}{
		{"auto with two providers: full buttons above the form", page("Sign in"), two, false, true},
		{"auto with three providers: a compact row", page("Sign in"), three, true, true},
		{"blockButton", Page{SocialVariant: "blockButton"}, three, false, true},
		{"iconButton", Page{SocialVariant: "iconButton"}, two, true, true},
		{"placement bottom", Page{SocialPlacement: "bottom"}, two, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, html := render(t, SignInStartPage(SignInStart{Page: tc.page, Action: "/sign-in", Social: tc.buttons}))
			icons := doc.Find(".cl-socialButtonsIconButton").Length()
			blocks := doc.Find(".cl-socialButtonsBlockButton").Length()
			if tc.wantIcons && (icons != len(tc.buttons) || blocks != 0) || !tc.wantIcons && (blocks != len(tc.buttons) || icons != 0) {
				t.Fatalf("icons=%d blocks=%d for %d providers", icons, blocks, len(tc.buttons))
			}
			if tc.wantIcons {
				if label, _ := doc.Find(".cl-socialButtonsIconButton").First().Attr("aria-label"); label != tc.buttons[0].Label {
					t.Errorf("icon button's accessible name = %q, want %q", label, tc.buttons[0].Label)
				}
			}
			first := strings.Index(html, "cl-socialButtons")
			form := strings.Index(html, `action="/sign-in"`)
			if (first < form) != tc.buttonsFirst {
				t.Errorf("buttons before the form = %v, want %v", first < form, tc.buttonsFirst)
			}
		})
	}

	shown, _ := render(t, SignUpPage(SignUp{Page: page("Sign up"), ShowEmail: true, ShowNames: true}))
	hidden, _ := render(t, SignUpPage(SignUp{Page: Page{HideOptionalFields: true}, ShowEmail: true, ShowNames: true}))
	required, _ := render(t, SignUpPage(SignUp{Page: Page{HideOptionalFields: true}, ShowEmail: true, ShowNames: true, RequireNames: true}))
	if inputNamed(shown, "first_name").Length() != 1 || inputNamed(hidden, "first_name").Length() != 0 ||
		inputNamed(required, "first_name").Length() != 1 {
		t.Errorf("optional names: shown=%d hidden=%d required=%d, want 1, 0, 1",
			inputNamed(shown, "first_name").Length(), inputNamed(hidden, "first_name").Length(),
			inputNamed(required, "first_name").Length())
	}
}

// The sign-in start page says "or" once between each way in and the next:
// with the providers under the form, the passkey and the providers share
// one "or" (there were two, one above each).
func TestSignInStartSaysOrOnceBetweenWaysIn(t *testing.T) {
	social := []SocialButton{{Provider: "github", Name: "GitHub", Label: "Continue with GitHub", URL: "/sign-in/oauth/github"}}
	passkey := &PasskeyForm{Action: "/sign-in/passkey", OptionsURL: "/sign-in/passkey/options", Label: "Sign in with a passkey"}
	for _, tc := range []struct {
		name    string
		page    Page
		social  []SocialButton
		passkey *PasskeyForm
		want    int
	}{
		{"providers under the form, and a passkey", Page{SocialPlacement: "bottom"}, social, passkey, 1},
		{"providers under the form", Page{SocialPlacement: "bottom"}, social, nil, 1},
		{"a passkey alone", page("Sign in"), nil, passkey, 1},
		{"providers above the form, a passkey under it", page("Sign in"), social, passkey, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, html := render(t, SignInStartPage(SignInStart{Page: tc.page, Action: "/sign-in", Social: tc.social, Passkey: tc.passkey}))
			if n := doc.Find(".cl-dividerText").Length(); n != tc.want {
				t.Errorf("%d dividers, want %d", n, tc.want)
			}
			if tc.passkey != nil && doc.Find("form[data-passkey-login]").Length() != 1 ||
				len(tc.social) > 0 && doc.Find(".cl-socialButtonsBlockButton").Length() != len(tc.social) {
				t.Errorf("a way in is missing:\n%s", html)
			}
		})
	}
}
