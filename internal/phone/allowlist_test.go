package phone_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/phone"
)

// REQ-OTP-10: the destination-country allowlist.
func TestAllowlist(t *testing.T) {
	us := mustParse(t, "+1 415 555 0100")
	gb := mustParse(t, "+44 7400 123456")
	fr := mustParse(t, "+33 6 12 34 56 78")

	tests := []struct {
		name    string
		regions []string
		allowed []phone.Number
		refused []phone.Number
	}{
		{"empty allows every country", nil, []phone.Number{us, gb, fr}, []phone.Number{{}}},
		{"listed countries only", []string{"US", "GB"}, []phone.Number{us, gb}, []phone.Number{fr, {}}},
		{"codes in any case, with spaces", []string{" us", "fr "}, []phone.Number{us, fr}, []phone.Number{gb}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := phone.NewAllowlist(tt.regions)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tt.allowed {
				if !a.Allows(n) || a.Check(n) != nil {
					t.Errorf("%+v refused, want allowed", n)
				}
			}
			for _, n := range tt.refused {
				if a.Allows(n) {
					t.Errorf("%+v allowed, want refused", n)
				}
				e, ok := apperr.As(a.Check(n))
				if !ok || e.Code != apperr.Invalid || e.Field != "phone_number" ||
					e.Message != "We can't send text messages to numbers in this country." {
					t.Errorf("Check(%+v) = %v", n, a.Check(n))
				}
			}
		})
	}
}

func TestNewAllowlistRejectsUnknownCodes(t *testing.T) {
	for _, bad := range [][]string{{"XX"}, {"US", "UK"}, {"001"}, {""}, {"USA"}} {
		if _, err := phone.NewAllowlist(bad); err == nil {
			t.Errorf("NewAllowlist(%q) succeeded, want an error", bad)
		}
	}
	// The refusal says what to write, and the usual slip gets its answer.
	_, err := phone.NewAllowlist([]string{"US", "uk"})
	if err == nil || !strings.Contains(err.Error(), `"uk" is not a country code: the United Kingdom is GB`) ||
		!strings.Contains(err.Error(), "two-letter ISO 3166-1 codes") {
		t.Errorf("NewAllowlist(US, uk): %v", err)
	}
}

func TestAllowlistRegions(t *testing.T) {
	a, err := phone.NewAllowlist([]string{"gb", "US", "GB"})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Regions(); !slices.Equal(got, []string{"GB", "US"}) {
		t.Errorf("Regions() = %q", got)
	}
}

func TestErrCountryNotAllowedIsFresh(t *testing.T) {
	e := phone.ErrCountryNotAllowed()
	e.Message = "changed"
	if phone.ErrCountryNotAllowed().Message == "changed" {
		t.Error("ErrCountryNotAllowed shares its value between callers")
	}
}

func mustParse(t *testing.T, s string) phone.Number {
	t.Helper()
	n, err := phone.Parse(s, "")
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return n
}
