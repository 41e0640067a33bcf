// Package apperr carries errors that are safe to show to a person.
//
// A handler maps Code to an HTTP status and shows the message in the
// person's language: the catalog message ID names (internal/i18n), with
// Args, or Message when there is no ID. Message is the English text, for
// logs and the Backend API. Any other error becomes "Something went wrong"
// on the page and the full error in the log.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for the transport layer.
type Code string

const (
	Invalid      Code = "invalid"      // the input is wrong; 422
	NotFound     Code = "not_found"    // 404
	Conflict     Code = "conflict"     // 409
	Unauthorized Code = "unauthorized" // 401
	Forbidden    Code = "forbidden"    // 403
	RateLimited  Code = "rate_limited" // 429
	Unavailable  Code = "unavailable"  // 503: try again shortly
	Expired      Code = "expired"      // 410: the flow or code is no longer usable
)

// Error is an error whose Message was written for the person using the portal.
type Error struct {
	Code    Code
	Message string // English, shown as is when ID is empty
	Field   string // form field the message belongs to, if any
	Err     error  // underlying cause, logged, never shown
	// ID is the catalog message shown instead of Message, with Args as
	// its placeholder name/value pairs ("Count", 5).
	ID   string
	Args []any
	// Item is the position, from 1, of the item at fault when the request
	// gives several (a bulk endpoint's array); 0 when it is about none.
	Item int
	// APICode is the Backend API's code for this refusal when it has one
	// of its own, Clerk's where Clerk documents one (an invitation revoked
	// already: invitation_already_revoked); the handlers give each such
	// code its status. Empty, the code follows from Code. The pages do not
	// read it.
	APICode string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a user-facing message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Field returns an Error tied to a form field.
func Field(code Code, field, msg string) *Error {
	return &Error{Code: code, Field: field, Message: msg}
}

// T returns a copy of e shown as catalog message id with args
// (placeholder name/value pairs): apperr.Field(apperr.Invalid, "code",
// "This code has expired.").T("error.code.expired").
func (e *Error) T(id string, args ...any) *Error {
	c := *e
	c.ID, c.Args = id, args
	return &c
}

// Coded returns a copy of e that the Backend API answers with code (see
// APICode).
func (e *Error) Coded(code string) *Error {
	c := *e
	c.APICode = code
	return &c
}

// On returns a copy of e tied to form field field: the same refusal met
// on another form.
func (e *Error) On(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns err's Code, or "" when err is not an *Error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}

// Sentinels the store returns and domain packages test for with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict") // a unique value is taken, or an optimistic update lost its race
)

// Nth names the item at fault, the i-th of n in one request (what, e.g.
// "Invitation"), in err's message when the request has several; other
// errors are returned as they are.
func Nth(err error, what string, i, n int) error {
	e, ok := As(err)
	if n == 1 || !ok {
		return err
	}
	out := *e
	out.Message = fmt.Sprintf("%s %d of %d: %s", what, i+1, n, e.Message)
	out.Item = i + 1
	return &out
}
