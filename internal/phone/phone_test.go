package phone_test

import (
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/phone"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, input, region string
		e164, want, display string
	}{
		{"international with spaces", "+1 415 555 0100", "", "+14155550100", "US", "+1 415-555-0100"},
		{"national with default region", "(415) 555-0100", "US", "+14155550100", "US", "+1 415-555-0100"},
		{"lower-case default region", "415.555.0100", "us", "+14155550100", "US", "+1 415-555-0100"},
		{"default region ignored when + given", "+44 7400 123456", "US", "+447400123456", "GB", "+44 7400 123456"},
		{"UK mobile national", "07400 123456", "GB", "+447400123456", "GB", "+44 7400 123456"},
		{"UK landline with (0)", "+44 (0)20 7946 0018", "", "+442079460018", "GB", "+44 20 7946 0018"},
		{"international prefix 00", "0044 7400 123456", "DE", "+447400123456", "GB", "+44 7400 123456"},
		{"German slash notation", "01521/2345678", "DE", "+4915212345678", "DE", "+49 1521 2345678"},
		{"French mobile", "+33 6 12 34 56 78", "", "+33612345678", "FR", "+33 6 12 34 56 78"},
		{"tel: prefix", "tel:+14155550100", "", "+14155550100", "US", "+1 415-555-0100"},
		{"TEL: prefix", "TEL: +1 415 555 0100", "", "+14155550100", "US", "+1 415-555-0100"},
		{"surrounding spaces", "  +14155550100 ", "", "+14155550100", "US", "+1 415-555-0100"},
		{"no-break spaces from a web page", "+44\u00a07400\u202f123456", "", "+447400123456", "GB", "+44 7400 123456"},
		{"Arabic-Indic digits", "+٤٤ ٧٤٠٠ ١٢٣٤٥٦", "", "+447400123456", "GB", "+44 7400 123456"},
		{"exactly 32 characters", "+1" + strings.Repeat(" ", 20) + "4155550100", "", "+14155550100", "US", "+1 415-555-0100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := phone.Parse(tt.input, tt.region)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.input, tt.region, err)
			}
			if n.E164 != tt.e164 || n.Region != tt.want {
				t.Errorf("Parse(%q) = %+v, want %s in %s", tt.input, n, tt.e164, tt.want)
			}
			if got := n.Display(); got != tt.display {
				t.Errorf("Display() = %q, want %q", got, tt.display)
			}
		})
	}
}

// REQ-IN-07: structured validation with a length limit; REQ-OTP-10: no
// premium-rate or otherwise costly destinations.
func TestParseRejects(t *testing.T) {
	const (
		needCountry = "Start the number with + and its country code."
		characters  = "Use only digits, spaces and + ( ) - . / in a phone number."
		tooLong     = "This phone number is too long."
		invalid     = "This phone number isn't valid."
		badType     = "Phone numbers of this type can't receive codes."
	)
	tests := []struct {
		name, input, region, msg string
	}{
		{"empty", "", "US", needCountry},
		{"only spaces", "   ", "US", needCountry},
		{"only tel:", "tel:", "US", needCountry},
		{"national without a default region", "415 555 0100", "", needCountry},
		{"national with an unknown default region", "415 555 0100", "XX", needCountry},
		{"unknown country code", "+999 1234 5678", "", needCountry},
		{"too short", "+1 415 555", "", invalid},
		{"too few digits for the country", "+44 7400 12345", "", invalid},
		{"unassigned area code", "+1 111 555 0100", "", invalid},
		{"a single digit", "5", "US", invalid},
		{"punctuation only", "+()-", "US", invalid},
		{"letters", "+1 415 FLOWERS", "", characters},
		{"vanity number", "1-800-FLOWERS", "US", characters},
		{"extension", "+1 415 555 0100 x12", "", characters},
		{"extension after ;", "tel:+1-415-555-0100;ext=12", "", characters},
		{"two plus signs", "++1 415 555 0100", "", characters},
		{"plus in the middle", "1+415 555 0100", "", characters},
		{"star and hash", "*67 415 555 0100#", "US", characters},
		{"CR LF injection", "+14155550100\r\nBcc: x@example.com", "", characters},
		{"trailing LF", "+14155550100\n", "", characters},
		{"tab", "+1\t4155550100", "", characters},
		{"NUL", "+14155550100\x00", "", characters},
		{"Unicode line separator", "+14155550100\u2028", "", characters},
		{"invalid UTF-8", "+1415555\xff0100", "", characters},
		{"full-width plus", "＋14155550100", "", characters},
		{"33 characters", "+1" + strings.Repeat(" ", 21) + "4155550100", "", tooLong},
		{"very long", "+1" + strings.Repeat("5", 10000), "", tooLong},
		{"US 900 premium rate", "+1 900 234 5678", "", badType},
		{"US 900 premium rate, national", "(900) 555-0100", "US", badType},
		{"UK 09 premium rate", "09098 790000", "GB", badType},
		{"UK 0871 premium rate", "+44 871 234 5678", "", badType},
		{"UK 03 UAN", "+44 300 123 4567", "", badType},
		{"UK 070 personal", "+44 70 1234 5678", "", badType},
		{"UK 076 pager", "+44 76 0012 3456", "", badType},
		{"UK 056 VoIP", "+44 56 1234 5678", "", badType},
		{"German 0137 shared cost", "+49 137 1234567", "", badType},
		{"Australian 1900 premium rate", "+61 1900 123 456", "", badType},
		{"US toll free", "+1 800 234 5678", "", badType},
		{"satellite, no country", "+881 6 1234 5678", "", badType},
		{"global toll free", "+800 1234 5678", "", badType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := phone.Parse(tt.input, tt.region)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %+v, want an error", tt.input, tt.region, n)
			}
			assertInvalid(t, err, tt.msg)
		})
	}
}

// Every number type except the three textable ones is refused, whichever
// country's metadata has an example of it.
func TestParseRefusesUntextableTypes(t *testing.T) {
	refused := map[phonenumbers.PhoneNumberType]string{
		phonenumbers.PREMIUM_RATE:    "premium rate",
		phonenumbers.SHARED_COST:     "shared cost",
		phonenumbers.UAN:             "UAN",
		phonenumbers.VOICEMAIL:       "voicemail",
		phonenumbers.PAGER:           "pager",
		phonenumbers.PERSONAL_NUMBER: "personal",
		phonenumbers.TOLL_FREE:       "toll free",
		phonenumbers.VOIP:            "VoIP",
	}
	for typ, name := range refused {
		t.Run(name, func(t *testing.T) {
			ex := exampleOf(typ)
			if ex == "" {
				t.Skipf("no region has an example %s number", name)
			}
			n, err := phone.Parse(ex, "")
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want refused", ex, n)
			}
			assertInvalid(t, err, "Phone numbers of this type can't receive codes.")
		})
	}
}

func exampleOf(typ phonenumbers.PhoneNumberType) string {
	for _, region := range []string{"GB", "US", "DE", "FR", "IT", "AU", "JP", "BR", "IN", "ES", "NL", "BE", "AT", "CH", "SE", "PL", "ZA", "MX", "AR", "CZ", "SK", "HU", "PT"} {
		pn := phonenumbers.GetExampleNumberForType(region, typ)
		if pn != nil && phonenumbers.GetNumberType(pn) == typ {
			return phonenumbers.Format(pn, phonenumbers.E164)
		}
	}
	return ""
}

func TestDisplayOfUnparsableKeepsE164(t *testing.T) {
	if got := (phone.Number{E164: "garbage"}).Display(); got != "garbage" {
		t.Errorf("Display() = %q", got)
	}
}

func TestParseRoundTripsE164(t *testing.T) {
	for _, in := range []string{"+14155550100", "+447400123456", "+4915212345678", "+390612345678"} {
		n, err := phone.Parse(in, "")
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		again, err := phone.Parse(n.Display(), "")
		if err != nil || again != n {
			t.Errorf("Parse(Display(%q)) = %+v, %v; want %+v", in, again, err, n)
		}
	}
}

func assertInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("error %v is not an *apperr.Error", err)
	}
	if e.Code != apperr.Invalid || e.Field != "phone_number" || e.Message != msg {
		t.Errorf("got {%s %s %q}, want {invalid phone_number %q}", e.Code, e.Field, e.Message, msg)
	}
}
