package mfa_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/portalhq/portal/internal/mfa"
)

func TestGenerateBackupCodes(t *testing.T) {
	plain, hashed, err := mfa.GenerateBackupCodes(mfa.BackupCodeCount)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != 10 || len(hashed) != 10 {
		t.Fatalf("got %d codes, %d hashes", len(plain), len(hashed))
	}
	shape := regexp.MustCompile(`^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$`)
	seen := map[string]bool{}
	for i, p := range plain {
		if !shape.MatchString(p) {
			t.Errorf("code %q has the wrong shape", p)
		}
		if seen[p] || seen[hashed[i]] {
			t.Errorf("duplicate code or hash at %d", i)
		}
		seen[p], seen[hashed[i]] = true, true
		wantPrefix := fmt.Sprintf("$argon2id$v=%d$m=4096,t=1,p=1$", argon2.Version)
		if !strings.HasPrefix(hashed[i], wantPrefix) || strings.Contains(hashed[i], mfa.NormalizeBackupCode(p)) {
			t.Errorf("hash %q", hashed[i])
		}
	}
	if _, _, err := mfa.GenerateBackupCodes(0); err == nil {
		t.Error("zero codes accepted")
	}
}

func TestMatchBackupCode(t *testing.T) {
	plain, hashed, err := mfa.GenerateBackupCodes(10)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range plain {
		if got, ok := mfa.MatchBackupCode(p, hashed); !ok || got != i {
			t.Errorf("code %d matched %d, %v", i, got, ok)
		}
	}
	p := plain[3]
	for _, typed := range []string{
		strings.ToUpper(p), strings.ReplaceAll(p, "-", ""), " " + p[:5] + " " + p[6:] + "\n", p[:2] + "-" + p[2:],
	} {
		if got, ok := mfa.MatchBackupCode(typed, hashed); !ok || got != 3 {
			t.Errorf("%q matched %d, %v", typed, got, ok)
		}
	}
	other, _, _ := mfa.GenerateBackupCodes(1)
	for _, wrong := range []string{other[0], "", p[:9], p + "a", hashed[3]} {
		if got, ok := mfa.MatchBackupCode(wrong, hashed); ok || got != -1 {
			t.Errorf("%q matched %d", wrong, got)
		}
	}
	// A used code, left out of the list by the caller, no longer matches.
	unused := append(append([]string{}, hashed[:3]...), hashed[4:]...)
	if _, ok := mfa.MatchBackupCode(p, unused); ok {
		t.Error("code matched a list without it")
	}
	// A damaged entry is skipped, not fatal.
	damaged := append([]string{"$argon2id$junk", hashed[0][:len(hashed[0])-4]}, hashed...)
	if got, ok := mfa.MatchBackupCode(p, damaged); !ok || got != 5 {
		t.Errorf("with damaged entries: %d, %v", got, ok)
	}
}

func TestNormalizeBackupCode(t *testing.T) {
	if got := mfa.NormalizeBackupCode(" AbCdE-fGhIj \t"); got != "abcdefghij" {
		t.Errorf("got %q", got)
	}
}

// Six digits, however spaced, look like an authenticator app's code;
// anything else does not.
func TestLooksLikeTOTPCode(t *testing.T) {
	plain, _, err := mfa.GenerateBackupCodes(1)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]bool{
		"123456": true, " 123 456\n": true, "000000": true,
		plain[0]: false, "12345": false, "1234567": false, "12345a": false, "": false, "１２３４５６": false,
	} {
		if got := mfa.LooksLikeTOTPCode(code); got != want {
			t.Errorf("LooksLikeTOTPCode(%q) = %v, want %v", code, got, want)
		}
	}
}
