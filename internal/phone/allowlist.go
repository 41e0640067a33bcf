package phone

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/portalhq/portal/internal/apperr"
)

// Allowlist holds the countries the portal sends text messages to
// (REQ-OTP-10): SMS pumping fraud targets countries the portal's users do
// not live in, so an operator lists the ones they do.
type Allowlist struct {
	regions map[string]bool // empty: every country
}

// NewAllowlist returns an allowlist of ISO 3166-1 alpha-2 codes, in any
// case. No codes allows every country. A code the phone metadata does not
// know is an error, so a typo in configuration fails at start-up rather
// than silently blocking a country.
func NewAllowlist(regions []string) (*Allowlist, error) {
	known := phonenumbers.GetSupportedRegions()
	a := &Allowlist{regions: map[string]bool{}}
	for _, r := range regions {
		code := strings.ToUpper(strings.TrimSpace(r))
		if !known[code] {
			hint := ""
			if code == "UK" { // the one everyone writes
				hint = ": the United Kingdom is GB"
			}
			return nil, fmt.Errorf("%q is not a country code%s; use two-letter ISO 3166-1 codes, comma-separated (US,GB,DE)", r, hint)
		}
		a.regions[code] = true
	}
	return a, nil
}

// Allows reports whether the portal may text n.
func (a *Allowlist) Allows(n Number) bool {
	if a == nil || len(a.regions) == 0 {
		return n.Region != ""
	}
	return a.regions[n.Region]
}

// Check returns nil when a allows n, else ErrCountryNotAllowed.
func (a *Allowlist) Check(n Number) error {
	if a.Allows(n) {
		return nil
	}
	return ErrCountryNotAllowed()
}

// Regions returns the allowed codes, sorted; none means every country.
func (a *Allowlist) Regions() []string {
	if a == nil {
		return nil
	}
	out := make([]string, 0, len(a.regions))
	for r := range a.regions {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// ErrCountryNotAllowed is the error for a number outside the allowlist. It
// is a function so no caller can change a shared value.
func ErrCountryNotAllowed() *apperr.Error {
	return apperr.Field(apperr.Invalid, FieldName, msgCountry).T("error.phone.country")
}
