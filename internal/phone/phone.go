// Package phone parses the phone numbers people type into E.164 and decides
// which of them the portal will text (REQ-IN-07, REQ-OTP-10).
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/portalhq/portal/internal/apperr"
)

// FieldName is the form field phone errors belong to.
const FieldName = "phone_number"

// MaxInputLen is the longest input Parse looks at, in characters. The
// longest E.164 number has 15 digits; 32 leaves room for a "+", "tel:",
// spaces and punctuation.
const MaxInputLen = 32

// Messages shown to the person typing the number.
const (
	msgNeedCountry = "Start the number with + and its country code."
	msgCharacters  = "Use only digits, spaces and + ( ) - . / in a phone number."
	msgTooLong     = "This phone number is too long."
	msgInvalid     = "This phone number isn't valid."
	msgType        = "Phone numbers of this type can't receive codes."
	msgCountry     = "We can't send text messages to numbers in this country."
)

// Number is a valid phone number that can receive text messages.
type Number struct {
	E164   string // canonical form, e.g. +14155550100; store and compare this
	Region string // ISO 3166-1 alpha-2 code, e.g. US
}

// Display formats n for people, e.g. "+1 415-555-0100".
func (n Number) Display() string {
	pn, err := phonenumbers.Parse(n.E164, "")
	if err != nil {
		return n.E164
	}
	return phonenumbers.Format(pn, phonenumbers.INTERNATIONAL)
}

// Parse reads a number the way a person types it. Without a leading "+" or
// international prefix, the number is read as national to defaultRegion
// (ISO alpha-2, "" for none). Errors are *apperr.Error (Invalid, field
// phone_number).
func Parse(input, defaultRegion string) (Number, error) {
	s, err := clean(input)
	if err != nil {
		return Number{}, err
	}
	pn, err := phonenumbers.Parse(s, strings.ToUpper(strings.TrimSpace(defaultRegion)))
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return Number{}, invalid(errNeedCountry, err)
	case err != nil:
		return Number{}, invalid(errInvalid, err)
	case pn.GetExtension() != "" || !phonenumbers.IsValidNumber(pn):
		return Number{}, invalid(errInvalid, fmt.Errorf("phone: %q is not a valid number", s))
	}
	region := phonenumbers.GetRegionCodeForNumber(pn)
	typ := phonenumbers.GetNumberType(pn)
	// Non-geographic numbers (region "001": satellite, global services) are
	// costly to reach and fit no country allowlist.
	if !textable(typ) || len(region) != 2 || region == "ZZ" {
		return Number{}, invalid(errType, fmt.Errorf("phone: number type %d in region %q", typ, region))
	}
	return Number{E164: phonenumbers.Format(pn, phonenumbers.E164), Region: region}, nil
}

// textable reports whether the portal sends codes to numbers of type t.
// Only types that are, or may be, a person's own phone qualify: premium-rate
// and shared-cost numbers would bill the portal's owner (SMS pumping), and
// UAN, voicemail, pager, personal, VoIP and toll-free numbers route to
// something other than one person's handset. FIXED_LINE stays in because
// the digits cannot always tell: numbers ported between fixed and mobile
// networks keep them, and some plans mix the two in one range. Texting a
// real landline fails at the provider with an error the person sees (Twilio
// 21614/21635, mapped by package sms).
func textable(t phonenumbers.PhoneNumberType) bool {
	switch t {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.FIXED_LINE:
		return true
	}
	return false
}

// clean rejects anything but what people use to write a number, before the
// library sees it: phonenumbers is lenient by design (it reads letters as
// keypad digits and skips leading junk), and a number we store must be
// exactly the number the person meant. It returns input without a leading
// "tel:" and surrounding spaces.
func clean(input string) (string, error) {
	if !utf8.ValidString(input) {
		return "", invalid(errCharacters, errors.New("phone: invalid UTF-8"))
	}
	// Controls are refused, not trimmed: "…0100\r\nBcc: …" is an attack,
	// not a typo.
	for _, r := range input {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", invalid(errCharacters, errors.New("phone: control character"))
		}
	}
	s := strings.TrimFunc(input, isSpace)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = strings.TrimFunc(s[4:], isSpace)
	}
	if s == "" {
		return "", invalid(errNeedCountry, errors.New("phone: empty"))
	}
	if utf8.RuneCountInString(s) > MaxInputLen {
		return "", invalid(errTooLong, fmt.Errorf("phone: longer than %d characters", MaxInputLen))
	}
	for i, r := range s {
		switch {
		case unicode.IsDigit(r), isSpace(r), strings.ContainsRune("()-./", r):
		case r == '+' && i == 0:
		default:
			return "", invalid(errCharacters, fmt.Errorf("phone: character %q", r))
		}
	}
	// The library splits digit groups on ASCII spaces only.
	return strings.Map(func(r rune) rune {
		if isSpace(r) {
			return ' '
		}
		return r
	}, s), nil
}

// isSpace accepts the space separators (plain, no-break, narrow no-break…)
// that formatted numbers copied from a web page carry.
func isSpace(r rune) bool { return unicode.Is(unicode.Zs, r) }

// What a person is told, in the catalog and in English.
var (
	errNeedCountry = apperr.Field(apperr.Invalid, FieldName, msgNeedCountry).T("error.phone.need_country")
	errCharacters  = apperr.Field(apperr.Invalid, FieldName, msgCharacters).T("error.phone.characters")
	errTooLong     = apperr.Field(apperr.Invalid, FieldName, msgTooLong).T("error.phone.too_long")
	errInvalid     = apperr.Field(apperr.Invalid, FieldName, msgInvalid).T("error.phone.invalid")
	errType        = apperr.Field(apperr.Invalid, FieldName, msgType).T("error.phone.type")
)

// invalid is a copy of what the person is told, with the cause for the log.
func invalid(told *apperr.Error, cause error) *apperr.Error {
	e := *told
	e.Err = cause
	return &e
}
