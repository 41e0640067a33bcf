package sms

import (
	"fmt"
	"net/http"

	"github.com/portalhq/portal/internal/apperr"
)

// ProviderError is an error answer from the SMS provider, for the log.
type ProviderError struct {
	Status   int    // HTTP status
	Code     int    // the provider's error code, e.g. Twilio's 21211; 0 if none
	Message  string // the provider's text
	MoreInfo string // documentation URL, if given
}

func (e *ProviderError) Error() string {
	s := fmt.Sprintf("sms: provider answered %d", e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(", error %d", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.MoreInfo != "" {
		s += " (" + e.MoreInfo + ")"
	}
	return s
}

// Retryable reports whether the same request may succeed later.
func (e *ProviderError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Code == 20429
}

// Messages for the person whose number the text was for, in English; the
// pages show the catalog messages with the IDs set next to them.
const (
	msgUnreachable = "This number can't receive text messages. Check it or use another."
	msgCountry     = "We can't send text messages to numbers in this country."
	msgOptedOut    = "This number turned off our text messages by replying STOP. " +
		"Reply START to one of our earlier texts to turn them back on, or use another number."
	msgUnavailable = "We couldn't send the text message just now. Please try again in a moment."
)

// forPerson wraps pe in the *apperr.Error its Twilio code calls for. Only
// causes the person can act on (a wrong or unreachable number, a country we
// don't serve, an opt-out) are Invalid; everything else — our credentials,
// our sender number, limits, outages — is Unavailable, which the person can
// only wait out.
func forPerson(pe *ProviderError) *apperr.Error {
	e := &apperr.Error{Code: apperr.Unavailable, Message: msgUnavailable, ID: "error.sms.failed", Err: pe}
	switch pe.Code {
	case 21211, // invalid 'To' number
		21265, // 'To' is a short code
		21266, // 'To' is our own sender
		21268, // premium-rate or information service number
		21612, // 'To' not reachable by SMS
		21614, // 'To' is not a mobile number
		21635: // 'To' is a landline
		e.Code, e.Field, e.Message = apperr.Invalid, "phone_number", msgUnreachable
		e.ID = "error.sms.unreachable"
	case 21408: // the account's geographic permissions exclude the country
		e.Code, e.Field, e.Message = apperr.Invalid, "phone_number", msgCountry
		e.ID = "error.phone.country"
	case 21610: // the recipient replied STOP
		e.Code, e.Field, e.Message = apperr.Invalid, "phone_number", msgOptedOut
		e.ID = "error.sms.opted_out"
	}
	return e
}

// unavailable wraps a failure to get any answer from the provider.
func unavailable(err error) *apperr.Error {
	return &apperr.Error{Code: apperr.Unavailable, Message: msgUnavailable, ID: "error.sms.failed", Err: err}
}
