package mfa_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/portalhq/portal/internal/mfa"
	"github.com/portalhq/portal/internal/testutil/totptest"
)

// A secret is read as other systems write it and comes back as the portal
// writes its own; codes computed from either form are the same.
func TestParseTOTPSecret(t *testing.T) {
	const canonical = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // 20 bytes
	for _, given := range []string{canonical, strings.ToLower(canonical), "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp",
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n"} {
		got, err := mfa.ParseTOTPSecret(given)
		if err != nil || got != canonical {
			t.Errorf("ParseTOTPSecret(%q) = %q, %v; want %q", given, got, err, canonical)
		}
	}
	// 10 bytes, the shortest taken, padded as some systems print it.
	if got, err := mfa.ParseTOTPSecret("GEZDGNBVGY3TQOJQ"); err != nil || got != "GEZDGNBVGY3TQOJQ" {
		t.Errorf("80 bits: %q, %v", got, err)
	}
	if got, err := mfa.ParseTOTPSecret("GEZDGNBVGY3TQOJQGE======"); err != nil || got != "GEZDGNBVGY3TQOJQGE" {
		t.Errorf("padded: %q, %v", got, err)
	}
	now := time.Unix(1_700_000_000, 0)
	if totptest.Code(t, canonical, now) != totptest.Code(t, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", now) {
		t.Error("codes differ")
	}
	for given, want := range map[string]error{
		"":                                   mfa.ErrSecretNotBase32,
		"   ":                                mfa.ErrSecretNotBase32,
		"JBSWY3DPEHPK3PX1JBSWY3DPEHPK3PXP":   mfa.ErrSecretNotBase32, // 1 is not Base32
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJ":  mfa.ErrSecretNotBase32, // a length no bytes encode to
		"6a6f686e2e646f65407465737431323334": mfa.ErrSecretNotBase32, // hex
		"JBSWY3DPEHPK3":                      mfa.ErrSecretTooShort,  // 8 bytes
		strings.Repeat("A", 104):             mfa.ErrSecretTooLong,   // 65 bytes
	} {
		if got, err := mfa.ParseTOTPSecret(given); !errors.Is(err, want) {
			t.Errorf("ParseTOTPSecret(%q) = %q, %v; want %v", given, got, err, want)
		}
	}
}

// Imported plain codes of any length are hashed as the portal's own and
// typed the same way; bcrypt digests are kept and checked as they are,
// against the code as typed or normalized; both mix with the portal's own.
func TestImportedBackupCodesMatch(t *testing.T) {
	digest := func(code string, cost int) string {
		h, err := bcrypt.GenerateFromPassword([]byte(code), cost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	_, own, err := mfa.GenerateBackupCodes(1)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for _, given := range []string{"123456", "Abcd-1234", digest("wxyz-9876", bcrypt.MinCost), digest("qrst5555", bcrypt.MinCost)} {
		h, key, err := mfa.ImportBackupCode(given)
		if err != nil {
			t.Fatalf("ImportBackupCode(%q): %v", given, err)
		}
		if strings.HasPrefix(given, "$2") != (h == given) || strings.Contains(h, "1234") || key == "" {
			t.Errorf("ImportBackupCode(%q) stored %q, key %q", given, h, key)
		}
		stored = append(stored, h)
	}
	stored = append(stored, own[0])
	for typed, want := range map[string]int{
		"123456": 0, "123-456": 0, "abcd1234": 1, " ABCD-1234 ": 1, "wxyz-9876": 2, "WXYZ 9876": -1,
		"qrst5555": 3, "QRST-5555": 3, "wxyz9876": -1, "12345": -1, "abcd12345": -1, "": -1,
	} {
		got, ok := mfa.MatchBackupCode(typed, stored)
		if got != want || ok != (want >= 0) {
			t.Errorf("MatchBackupCode(%q) = %d, %v; want %d", typed, got, ok, want)
		}
	}
}

func TestImportBackupCodeRefusals(t *testing.T) {
	costly, err := bcrypt.GenerateFromPassword([]byte("abcd1234"), mfa.BcryptMaxCost+1)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := bcrypt.GenerateFromPassword([]byte("abcd1234"), bcrypt.MinCost)
	for given, want := range map[string]error{
		"":                           mfa.ErrCodeEmpty,
		" - ":                        mfa.ErrCodeEmpty,
		"12345":                      mfa.ErrCodeLength,
		strings.Repeat("a", 33):      mfa.ErrCodeLength,
		"abcdé1234":                  mfa.ErrCodeCharacters,
		"abc\x00defg":                mfa.ErrCodeCharacters,
		string(costly):               mfa.ErrCodeDigest,
		string(good[:59]):            mfa.ErrCodeDigest,
		string(good) + "x":           mfa.ErrCodeDigest,
		"$2x$04$" + string(good[7:]): mfa.ErrCodeDigest,
		string(good[:20]) + "!" + string(good[21:]): mfa.ErrCodeDigest,
	} {
		if h, _, err := mfa.ImportBackupCode(given); !errors.Is(err, want) {
			t.Errorf("ImportBackupCode(%q) = %q, %v; want %v", given, h, err, want)
		}
	}
}
