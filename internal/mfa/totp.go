// Package mfa holds the second factors that are not messages: TOTP
// (authenticator apps) and backup codes. It keeps no state; the caller stores
// the secret, the last step used and the hashed codes.
package mfa

import (
	"crypto/rand"
	"errors"
	"fmt"
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
	return key.Secret(), key.URL(), nil
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
