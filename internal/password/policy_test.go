package password

import (
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
)

func TestMinLengthFor_REQ_PW_01(t *testing.T) {
	if got := MinLengthFor(false); got != 15 {
		t.Errorf("single-factor minimum = %d, want 15", got)
	}
	if got := MinLengthFor(true); got != 8 {
		t.Errorf("MFA minimum = %d, want 8", got)
	}
}

func TestPolicyCheck(t *testing.T) {
	single := Policy{MinLength: MinLengthFor(false)}
	mfa := Policy{MinLength: MinLengthFor(true)}
	ctxWords := []string{"jane.doe", "Acme Widgets", "portal"}

	tests := []struct {
		name    string
		policy  Policy
		pw      string
		context []string
		wantMsg string // "" means accepted
	}{
		// REQ-PW-01 / T1: the minimum depends on whether MFA is mandatory.
		{"REQ-PW-01 single factor, 14 chars", single, "fourteen chars", nil, "Your password must be at least 15 characters."},
		{"REQ-PW-01 single factor, 15 chars", single, "fifteen chars!!", nil, ""},
		{"REQ-PW-01 MFA, 8 chars", mfa, "tr4pd00r", nil, ""},
		{"REQ-PW-01 MFA, 7 chars", mfa, "tr4pd00", nil, "Your password must be at least 8 characters."},
		{"REQ-PW-01 zero policy defaults to single factor", Policy{}, "fourteen chars", nil, "Your password must be at least 15 characters."},

		// REQ-PW-02: code points after NFC, Unicode and spaces welcome.
		{"REQ-PW-02 15 decomposed é count as 15", single, strings.Repeat("e\u0301", 15), nil, ""},
		{"REQ-PW-02 14 composed é are too short", single, strings.Repeat("\u00e9", 14), nil, "Your password must be at least 15 characters."},
		{"REQ-PW-02 15 emoji, 60 bytes", single, strings.Repeat("🦊", 15), nil, ""},
		{"REQ-PW-02 64 printable ASCII with spaces", single, strings.Repeat("a B~ 9!", 10)[:64], nil, ""},
		{"REQ-PW-02 256 code points allowed", single, strings.Repeat("ж", 256), nil, ""},
		{"REQ-PW-02 257 code points refused", single, strings.Repeat("ж", 257), nil, "Your password can't be longer than 256 characters."},
		{"REQ-PW-09 over 1 KiB refused", Policy{MaxLength: 5000}, strings.Repeat("x", MaxBytes+1), nil, ErrTooLong.Message},

		// REQ-PW-03: no composition rules.
		{"REQ-PW-03 lowercase letters only", single, "lanterns over quiet water", nil, ""},
		{"REQ-PW-03 digits only", single, "3141592653589793238", nil, ""},

		// REQ-PW-05: whole-string, case-insensitive blocklist.
		{"REQ-PW-05 common", mfa, "password", nil, "This password is too common. Please choose another."},
		{"REQ-PW-05 common, any case", mfa, "QwertyUIOP", nil, "This password is too common. Please choose another."},
		{"REQ-PW-05 common and 16 chars long", single, "1qaz2wsx3edc4rfv", nil, "This password is too common. Please choose another."},
		{"REQ-PW-05 common word inside a longer one is fine", single, "my password is a long sentence", nil, ""},

		// REQ-PW-05: context words.
		{"REQ-PW-05 contains email local part", single, "Jane.Doe rules forever", ctxWords, `Your password can't contain "jane.doe". Words from your email address or this site's name are easy to guess.`},
		{"REQ-PW-05 full address reduced to local part", single, "hello jane.doe world", []string{"jane.doe@example.com"}, `Your password can't contain "jane.doe". Words from your email address or this site's name are easy to guess.`},
		{"REQ-PW-05 contains instance name", single, "i work at acme widgets", ctxWords, `Your password can't contain "Acme Widgets". Words from your email address or this site's name are easy to guess.`},
		{"REQ-PW-05 contains portal", single, "MyPortalLoginPlease", ctxWords, `Your password can't contain "portal". Words from your email address or this site's name are easy to guess.`},
		{"REQ-PW-05 short local part ignored", single, "jo walks the long road", []string{"jo@example.com", "", "  "}, ""},
		{"REQ-PW-05 unrelated words pass", single, "lanterns over quiet water", ctxWords, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(t.Context(), tt.pw, tt.context...)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok {
				t.Fatalf("Check(%q) = %v, want *apperr.Error", tt.pw, err)
			}
			if e.Code != apperr.Invalid || e.Field != "password" || e.Message != tt.wantMsg {
				t.Fatalf("Check(%q) = {%s %q %q}, want {invalid password %q}", tt.pw, e.Code, e.Field, e.Message, tt.wantMsg)
			}
		})
	}
}

func TestBlocklist_REQ_PW_05(t *testing.T) {
	if n := blocklistLen(); n < 10000 {
		t.Fatalf("blocklist has %d entries, want at least 10,000", n)
	}
	for _, pw := range []string{"password", "123456789", "qwertyuiop", "Password", "iloveyou"} {
		if !Common(pw) {
			t.Errorf("Common(%q) = false, want true", pw)
		}
	}
	for _, pw := range []string{"lanterns over quiet water", "password lanterns", ""} {
		if Common(pw) {
			t.Errorf("Common(%q) = true, want false", pw)
		}
	}
}
