// Package jwttemplate mints tokens shaped for other services (Supabase,
// Hasura, Convex, …) from templates written with Clerk's shortcodes:
// {{user.id}}, {{user.public_metadata.plan}}, fallbacks with ||, and
// shortcodes inside longer strings. The fixed claims (azp, exp, iat, iss,
// jti, nbf, sub) are the portal's and cannot be overridden.
package jwttemplate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/apperr"
)

// Template is a stored template.
type Template struct {
	ID               string
	Name             string
	Claims           json.RawMessage // as written
	Lifetime         time.Duration
	AllowedClockSkew time.Duration // how far nbf is backdated
	CustomSigningKey bool
	SigningAlgorithm string // RS256 with the instance key unless CustomSigningKey
	SigningKey       string // HS secret, or a PEM private key; never shown
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Limits, as Clerk's.
const (
	MinLifetime     = 30 * time.Second
	MaxLifetime     = 315360000 * time.Second // 10 years
	DefaultLifetime = 60 * time.Second
	MaxClockSkew    = 300 * time.Second
	DefaultSkew     = 5 * time.Second
	minHMACKeyBytes = 32
)

// Algorithms a custom signing key may use. Without a custom key, templates
// sign with the instance's RS256 key and appear in its JWKS.
func Algorithms() []string { return []string{"HS256", "HS384", "HS512", "RS256", "ES256"} }

// Input creates or changes a template; nil fields are left as they are.
type Input struct {
	Name             *string
	Claims           json.RawMessage
	Lifetime         *int64 // seconds
	AllowedClockSkew *int64 // seconds
	CustomSigningKey *bool
	SigningAlgorithm *string
	SigningKey       *string
}

func invalid(field, msg string) error { return apperr.Field(apperr.Invalid, field, msg) }

// apply checks in and writes it to t.
func apply(t *Template, in Input) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len(n) > 64 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != "" {
			return invalid("name", "Name the template with 1 to 64 letters, digits, dots, dashes or underscores.")
		}
		t.Name = n
	}
	if in.Claims != nil {
		claims, err := claimsText(in.Claims)
		if err != nil {
			return err
		}
		if _, err := Compile(claims); err != nil {
			return err
		}
		t.Claims = claims
	}
	if in.Lifetime != nil {
		d := time.Duration(*in.Lifetime) * time.Second
		if d < MinLifetime || d > MaxLifetime {
			return invalid("lifetime", "lifetime is in seconds, from 30 to 315360000 (10 years).")
		}
		t.Lifetime = d
	}
	if in.AllowedClockSkew != nil {
		d := time.Duration(*in.AllowedClockSkew) * time.Second
		if d < 0 || d > MaxClockSkew {
			return invalid("allowed_clock_skew", "allowed_clock_skew is in seconds, from 0 to 300.")
		}
		t.AllowedClockSkew = d
	}
	if in.CustomSigningKey != nil {
		t.CustomSigningKey = *in.CustomSigningKey
	}
	if in.SigningAlgorithm != nil {
		t.SigningAlgorithm = strings.ToUpper(*in.SigningAlgorithm)
	}
	if in.SigningKey != nil {
		t.SigningKey = *in.SigningKey
	}
	if !t.CustomSigningKey {
		t.SigningKey = ""
		if t.SigningAlgorithm != "RS256" {
			return invalid("signing_algorithm", "Without a custom signing key, templates sign with the instance's RS256 key.")
		}
		return nil
	}
	if !slices.Contains(Algorithms(), t.SigningAlgorithm) {
		return invalid("signing_algorithm", fmt.Sprintf("Use one of %s.", strings.Join(Algorithms(), ", ")))
	}
	if t.SigningKey == "" {
		return invalid("signing_key", "A custom signing key needs signing_key.")
	}
	_, err := signingKey(t.SigningAlgorithm, t.SigningKey)
	return err
}

// claimsText accepts the claims as a JSON object, or as a string holding
// one (as a form might send it); positions then count in that string.
func claimsText(raw json.RawMessage) (json.RawMessage, error) {
	trimmed := strings.TrimSpace(string(raw))
	if strings.HasPrefix(trimmed, `"`) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalid("claims", "The claims are not valid JSON.")
		}
		return json.RawMessage(s), nil
	}
	return raw, nil
}
