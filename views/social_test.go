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
