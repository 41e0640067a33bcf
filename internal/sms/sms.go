// Package sms sends the portal's text messages: through Twilio in
// production, into the dev outbox (log + store) in development.
package sms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBodyLen is the longest body, in characters, Twilio accepts (it splits
// it into up to ten parts).
const MaxBodyLen = 1600

// Message is one text message to one number. Body is already rendered.
type Message struct {
	To   string // E.164, e.g. +14155550100; phone.Parse makes it
	Body string
}

// Sender sends a Message. An *apperr.Error in the chain carries what to tell
// the person; anything else is for the log.
type Sender interface {
	SendSMS(ctx context.Context, m Message) error
}

// ErrInvalidMessage is returned (wrapped) for a message no sender should
// pass on: a recipient not in E.164 or an unsafe or oversized body. Both are
// bugs in the caller, not something the person can fix.
var ErrInvalidMessage = errors.New("sms: invalid message")

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// checked returns m with line breaks normalised to "\n", or an error if m
// must not be sent. Both senders use it, so development fails the way
// production would.
func (m Message) checked() (Message, error) {
	if !e164.MatchString(m.To) {
		return m, fmt.Errorf("%w: recipient %q is not E.164", ErrInvalidMessage, m.To)
	}
	if !utf8.ValidString(m.Body) {
		return m, fmt.Errorf("%w: body is not UTF-8", ErrInvalidMessage)
	}
	body := strings.ReplaceAll(m.Body, "\r\n", "\n")
	if strings.TrimSpace(body) == "" {
		return m, fmt.Errorf("%w: empty body", ErrInvalidMessage)
	}
	// Refused rather than stripped: a control character in a rendered body
	// means user data reached the template unchecked, and silently editing
	// a message could corrupt the code in it.
	for _, r := range body {
		if (unicode.IsControl(r) && r != '\n') || r == '\u2028' || r == '\u2029' {
			return m, fmt.Errorf("%w: body has control character %U", ErrInvalidMessage, r)
		}
	}
	if n := utf8.RuneCountInString(body); n > MaxBodyLen {
		return m, fmt.Errorf("%w: body has %d characters, limit %d", ErrInvalidMessage, n, MaxBodyLen)
	}
	m.Body = body
	return m, nil
}
