// Package mfa holds the second factors that are not messages: TOTP
// (authenticator apps) and backup codes. It keeps no state; the caller stores
// the secret, the last step used and the hashed codes.
package mfa

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters every authenticator app understands (RFC 6238 defaults).
const (
	totpPeriod     = 30
	totpDigits     = otp.DigitsSix
	totpSecretSize = 20 // bytes: 160 bits, the HMAC-SHA1 block the RFC suggests
)

// DefaultSkew accepts the previous and next 30-second window as well as the
// current one, for clocks that drift and people who type slowly.
const DefaultSkew = 1

// NewTOTPSecret makes a secret for an authenticator app. secret (base32) is
// shown for manual entry; otpauthURL goes into the QR code. Keep the secret
// pending until the person confirms it with a code.
func NewTOTPSecret(issuer, account string) (secret, otpauthURL string, err error) {
	if issuer == "" || account == "" {
		return "", "", errors.New("mfa: TOTP needs an issuer and an account name")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
		Rand:        rand.Reader,
	})
	if err != nil {
		return "", "", fmt.Errorf("mfa: generate TOTP secret: %w", err)
	}
	return key.Secret(), keyURI(issuer, account, key.Secret()), nil
}

// TOTPURL is the otpauth:// URL for a secret made by NewTOTPSecret, for
// showing a pending secret's QR code again.
func TOTPURL(issuer, account, secret string) (string, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", fmt.Errorf("mfa: TOTP secret is not base32: %w", err)
	}
	if issuer == "" || account == "" || len(raw) == 0 {
		return "", errors.New("mfa: TOTP URL needs an issuer, an account name and a secret")
	}
	return keyURI(issuer, account, base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)), nil
}

// keyURI is the Key URI authenticator apps read from the QR code. It is
// built here, not by pquerna/otp, whose URL leaves "&", "=" and "+" in the
// issuer unescaped (url.PathEscape in the query): a name like "Smith & Co"
// came out as issuer "Smith ". Spaces are %20, which every app reads; a
// plus sign is %2B, so that no app reading the label as a form takes it for
// a space; a colon in the issuer is escaped, since the label's first one
// separates it from the account name.
func keyURI(issuer, account, secret string) string {
	q := func(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }
	p := strings.NewReplacer("+", "%2B", ":", "%3A")
	label := p.Replace(url.PathEscape(issuer)) + ":" + p.Replace(url.PathEscape(account))
	return "otpauth://totp/" + label + "?algorithm=SHA1&digits=" + totpDigits.String() + "&issuer=" + q(issuer) +
		"&period=" + strconv.Itoa(totpPeriod) + "&secret=" + secret
}

// TOTP checks codes from an authenticator app against Clock.
type TOTP struct {
	Clock clockwork.Clock
	Skew  uint // windows accepted either side of the current one; DefaultSkew is 1
}

// Validate reports whether code is right for secret now, and the time step
// it matched. A code is accepted once only: the caller stores step and passes
// it back as lastUsedStep, and codes of that step or an earlier one are
// refused (pass 0 before the first use). Store it with a conditional update
// (where last_step < step) so two requests racing with one code cannot both
// pass.
func (v TOTP) Validate(secret, code string, lastUsedStep int64) (step int64, ok bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != int(totpDigits) || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	clock := v.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	current := clock.Now().Unix() / totpPeriod
	skew := int64(v.Skew)
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	// Every window is checked, so the time taken says nothing about which
	// matched; the latest match wins, burning the most codes.
	for s := current - skew; s <= current+skew; s++ {
		match, err := totp.ValidateCustom(code, secret, time.Unix(s*totpPeriod, 0), opts)
		if err != nil {
			return 0, false
		}
		if match && s > lastUsedStep {
			step, ok = s, true
		}
	}
	return step, ok
}
