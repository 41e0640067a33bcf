package mfa_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/mfa"
)

// rfcCode computes a 6-digit TOTP the RFC 6238 way, independently of the
// library under test.
func rfcCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha1.New, key)
	_ = binary.Write(mac, binary.BigEndian, uint64(at.Unix()/30))
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

func TestNewTOTPSecret(t *testing.T) {
	secret, raw, err := mfa.NewTOTPSecret("Acme Portal", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 32 { // 20 bytes in base32
		t.Errorf("secret %q: want 32 base32 characters", secret)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Acme Portal:ada@example.com" ||
		q.Get("secret") != secret || q.Get("issuer") != "Acme Portal" ||
		q.Get("period") != "30" || q.Get("digits") != "6" || q.Get("algorithm") != "SHA1" {
		t.Errorf("otpauth URL %s", raw)
	}
	other, _, _ := mfa.NewTOTPSecret("Acme Portal", "ada@example.com")
	if other == secret {
		t.Error("two secrets are equal")
	}
	if _, _, err := mfa.NewTOTPSecret("", "ada@example.com"); err == nil {
		t.Error("no issuer accepted")
	}
}

// RFC 6238 appendix B, SHA-1, last six digits.
func TestTOTPRFCVectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		v := mfa.TOTP{Clock: clockwork.NewFakeClockAt(time.Unix(tc.unix, 0))}
		step, ok := v.Validate(secret, tc.code, 0)
		if !ok || step != tc.unix/30 {
			t.Errorf("at %d: Validate(%s) = %d, %v", tc.unix, tc.code, step, ok)
		}
	}
}

func TestTOTPWindows(t *testing.T) {
	secret, _, err := mfa.NewTOTPSecret("Acme", "ada")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	current := now.Unix() / 30
	v := mfa.TOTP{Clock: clockwork.NewFakeClockAt(now), Skew: mfa.DefaultSkew}
	for _, tc := range []struct {
		name   string
		offset time.Duration
		ok     bool
	}{
		{"current", 0, true},
		{"previous window", -30 * time.Second, true},
		{"next window", 30 * time.Second, true},
		{"two windows old", -60 * time.Second, false},
		{"two windows ahead", 60 * time.Second, false},
		{"stale", -90 * time.Second, false},
		{"far ahead", 90 * time.Second, false},
	} {
		code := rfcCode(t, secret, now.Add(tc.offset))
		step, ok := v.Validate(secret, code, 0)
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.name, ok, tc.ok)
		}
		if ok && step != current+int64(tc.offset/(30*time.Second)) {
			t.Errorf("%s: step %d, current %d", tc.name, step, current)
		}
	}

	strict := mfa.TOTP{Clock: v.Clock}
	if _, ok := strict.Validate(secret, rfcCode(t, secret, now.Add(-30*time.Second)), 0); ok {
		t.Error("Skew 0 accepted the previous window")
	}
}

// A code is accepted once only, and once a step is used, codes of earlier
// steps are refused too.
func TestTOTPCodeUsedOnce(t *testing.T) {
	secret, _, _ := mfa.NewTOTPSecret("Acme", "ada")
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	v := mfa.TOTP{Clock: clock, Skew: 1}
	code := rfcCode(t, secret, clock.Now())
	step, ok := v.Validate(secret, code, 0)
	if !ok {
		t.Fatal("first use refused")
	}
	if _, ok := v.Validate(secret, code, step); ok {
		t.Error("same code accepted twice")
	}
	if _, ok := v.Validate(secret, rfcCode(t, secret, clock.Now().Add(-30*time.Second)), step); ok {
		t.Error("older code accepted after a newer one")
	}
	clock.Advance(30 * time.Second)
	next, ok := v.Validate(secret, rfcCode(t, secret, clock.Now()), step)
	if !ok || next != step+1 {
		t.Errorf("next window's code: %d, %v", next, ok)
	}
}

func TestTOTPRefusesMalformed(t *testing.T) {
	secret, _, _ := mfa.NewTOTPSecret("Acme", "ada")
	now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	v := mfa.TOTP{Clock: clockwork.NewFakeClockAt(now), Skew: 1}
	code := rfcCode(t, secret, now)
	if _, ok := v.Validate(secret, " "+code[:3]+" "+code[3:]+" ", 0); !ok {
		t.Error("code with spaces refused")
	}
	for _, bad := range []string{"", code[:5], code + "0", "12345a", "１２３４５６"} {
		if _, ok := v.Validate(secret, bad, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	other, _, _ := mfa.NewTOTPSecret("Acme", "ada")
	if _, ok := v.Validate(other, code, 0); ok {
		t.Error("code accepted for another secret")
	}
	if _, ok := v.Validate("not base32!", code, 0); ok {
		t.Error("code accepted for a broken secret")
	}
}

// An issuer or account name with the characters a URL gives meaning to
// (a theme's applicationName like "Smith & Co") comes back whole from the
// URL, as an authenticator app reads it.
func TestTOTPURLEscapesNames(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	for _, issuer := range []string{"Smith & Co", "A+B=C?", "Café #1", "100% Acme/Labs", "Acme: Portal"} {
		raw, err := mfa.TOTPURL(issuer, "ada+1@example.com", secret)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		q := u.Query()
		label, _ := url.PathUnescape(u.EscapedPath())
		gotIssuer, account, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), ":")
		gotIssuer, _ = url.PathUnescape(gotIssuer)
		account, _ = url.PathUnescape(account)
		if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("issuer") != issuer || gotIssuer != issuer ||
			account != "ada+1@example.com" || q.Get("secret") != secret || q.Get("digits") != "6" ||
			q.Get("period") != "30" || q.Get("algorithm") != "SHA1" || strings.Contains(raw, "+") {
			t.Errorf("%q: %s reads as issuer %q, label %q", issuer, raw, q.Get("issuer"), label)
		}
	}
}

// TOTPURL rebuilds exactly the URL NewTOTPSecret gave, so a pending
// secret's QR code can be drawn again from the secret alone.
func TestTOTPURL(t *testing.T) {
	secret, want, err := mfa.NewTOTPSecret("Acme Portal", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := mfa.TOTPURL("Acme Portal", "ada@example.com", secret); err != nil || got != want {
		t.Errorf("TOTPURL = %s, %v\nwant       %s", got, err, want)
	}
}
