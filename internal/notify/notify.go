// Package notify sends the portal's email: through SMTP in production, into
// the dev outbox (log + store) in development.
package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"

	"github.com/portalhq/portal/internal/id"
)

// Email is one message to one person. The bodies are already rendered.
type Email struct {
	To      string // a bare address, e.g. ada@example.com
	ToName  string // display name, may be empty or non-ASCII
	Subject string
	Text    string
	HTML    string
}

// Mailer sends an Email. Errors are for the log; callers show a generic
// message.
type Mailer interface {
	SendEmail(ctx context.Context, m Email) error
}

// ErrUnsafeHeader is returned (wrapped) when a value meant for a header could
// change the message's structure (REQ-IN-04).
var ErrUnsafeHeader = errors.New("notify: unsafe header value")

// recipient checks everything of m that reaches a header or the SMTP
// envelope and returns the bare recipient address. Rejecting, rather than
// stripping, keeps a mangled address from silently reaching someone else.
func recipient(m Email) (string, error) {
	for _, f := range []struct{ name, v string }{
		{"to", m.To}, {"to name", m.ToName}, {"subject", m.Subject},
	} {
		if !headerSafe(f.v) {
			return "", fmt.Errorf("%w: %s has control characters", ErrUnsafeHeader, f.name)
		}
	}
	a, err := mail.ParseAddress(strings.TrimSpace(m.To))
	if err != nil {
		return "", fmt.Errorf("%w: to: %v", ErrUnsafeHeader, err)
	}
	if a.Name != "" {
		return "", fmt.Errorf("%w: to must be a bare address; use ToName", ErrUnsafeHeader)
	}
	if !envelopeSafe(a.Address) {
		return "", fmt.Errorf("%w: to needs quoting", ErrUnsafeHeader)
	}
	return a.Address, nil
}

// headerSafe rejects C0/C1 controls (CR, LF, NUL, TAB, NEL…), DEL, the
// Unicode line separators and invalid UTF-8: none has a use in a subject or
// a name, and each can split or confuse a header line somewhere downstream.
func headerSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// envelopeSafe refuses addresses that would need quoting: they go verbatim
// into MAIL FROM/RCPT TO, where a space or '>' could add command parameters.
func envelopeSafe(addr string) bool {
	for _, r := range addr {
		if unicode.IsSpace(r) || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return false
		}
	}
	return strings.Count(addr, "@") == 1
}

// parseFrom checks the configured sender, e.g. "Portal <no-reply@example.com>".
func parseFrom(from string) (*mail.Address, error) {
	if !headerSafe(from) {
		return nil, fmt.Errorf("%w: from has control characters", ErrUnsafeHeader)
	}
	a, err := mail.ParseAddress(strings.TrimSpace(from))
	if err != nil {
		return nil, fmt.Errorf("notify: from address %q: %w", from, err)
	}
	if !headerSafe(a.Name) || !envelopeSafe(a.Address) {
		return nil, fmt.Errorf("%w: from address %q", ErrUnsafeHeader, from)
	}
	return a, nil
}

// compose renders m as a multipart/alternative message. Header values pass
// through go-message, which folds long lines at spaces. A subject or name
// that is not plain ASCII is RFC 2047-encoded here (encodeAll), not by
// go-message: its encoder writes words of up to 75 characters, and a
// header line holding one after "Subject: " cannot be folded within the 76
// characters RFC 2047 §2 allows, so it went out as one line of 100 and
// more. The bodies are quoted-printable (writePart), whose soft line
// breaks keep every line on the wire within 76 characters however long
// the text's own lines are; readers undo them.
func compose(from *mail.Address, to string, m Email, now time.Time) ([]byte, error) {
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{from})
	if needsEncoding(m.ToName) {
		h.Set("To", encodeAll(m.ToName)+" <"+to+">")
	} else {
		h.SetAddressList("To", []*gomail.Address{{Name: m.ToName, Address: to}})
	}
	if needsEncoding(m.Subject) {
		h.Set("Subject", encodeAll(m.Subject))
	} else {
		h.SetSubject(m.Subject)
	}
	h.SetMessageID(id.Random(27) + "@" + domainOf(from.Address))
	// Every message is sent by the portal itself, not written by a person
	// (RFC 3834 §5): vacation responders and other auto-repliers must not
	// answer it, and some filters use the mark to tell transactional mail
	// from a person's. Exchange ignores Auto-Submitted and reads its own
	// header instead.
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("X-Auto-Response-Suppress", "All")

	var buf bytes.Buffer
	w, err := gomail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("notify: compose: %w", err)
	}
	if err := writePart(w, "text/plain", m.Text); err != nil {
		return nil, err
	}
	if m.HTML != "" {
		if err := writePart(w, "text/html", m.HTML); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("notify: compose: %w", err)
	}
	return buf.Bytes(), nil
}

// needsEncoding reports whether s must be RFC 2047-encoded to go in a
// header: it has characters beyond ASCII, or text that a reader would
// take for an encoded word.
func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return strings.Contains(s, "=?")
}

// encodeAll RFC 2047-encodes all of s. The mime encoders pass printable
// ASCII through unchanged, so text that merely looks like an encoded word
// ("=?utf-8?q?=0D=0ABcc:…?=") would be decoded by the reader into a line
// break; encoding it ourselves keeps it literal.
func encodeAll(s string) string {
	const chunk = 30 // 52-character words: folding at the spaces keeps lines under 76
	var words []string
	for len(s) > 0 {
		n := min(len(s), chunk)
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

func writePart(w *gomail.InlineWriter, contentType, body string) error {
	var h gomail.InlineHeader
	h.SetContentType(contentType, map[string]string{"charset": "utf-8"})
	pw, err := w.CreatePart(h) // quoted-printable: safe for long lines and UTF-8
	if err != nil {
		return fmt.Errorf("notify: compose %s: %w", contentType, err)
	}
	if _, err := pw.Write([]byte(body)); err != nil {
		return fmt.Errorf("notify: compose %s: %w", contentType, err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("notify: compose %s: %w", contentType, err)
	}
	return nil
}

func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}
