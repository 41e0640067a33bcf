package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-IN-04: CR/LF and header syntax typed into the sign-up email or names
// never reach a mail header: the form comes back with a message and no
// mail leaves, to anyone.
func TestHeaderInjectionAtSignUp_REQ_IN_04(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	good := map[string]string{"email_address": "ada@example.com", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace"}
	for _, c := range []struct{ field, value, says string }{
		{"email_address", "a@b.com\r\nBcc: x@y.com", "name@example.com"},
		{"email_address", "a@b.com\nBcc: x@y.com", "name@example.com"},
		{"email_address", "a@b.com, x@y.com", "name@example.com"},
		{"email_address", "Ada <a@b.com>\r\nTo: x@y.com", "name@example.com"},
		{"first_name", "Ada\r\nBcc: x@y.com", "letters, spaces and punctuation"},
		{"last_name", "Lovelace\nSubject: hi", "letters, spaces and punctuation"},
		{"first_name", "Ada\rBcc: x@y.com", "letters, spaces and punctuation"},
	} {
		fields := map[string]string{}
		for k, v := range good {
			fields[k] = v
		}
		fields[c.field] = c.value
		pg := signUpWith(b, fields, "")
		wantText(t, c.field+" "+c.value, pg, http.StatusUnprocessableEntity, c.says)
		if pg.Doc.Find(signUpForm).Length() == 0 {
			t.Errorf("%s %q: the form is not shown again", c.field, c.value)
		}
	}
	if msgs := p.SMTP.Messages(); len(msgs) != 0 {
		t.Fatalf("%d messages sent for refused forms, first to %v", len(msgs), msgs[0].To)
	}

	// Header syntax without line breaks is just text: the one message goes
	// to the one address, with no other recipient anywhere in its headers.
	fields := map[string]string{"email_address": "ada@example.com", "password": goodPassword,
		"first_name": `Ada" <x@y.com>, Bcc: x@y.com`, "last_name": "=?utf-8?q?x=40y.com?="}
	wantText(t, "names with header syntax", signUpWith(b, fields, ""), http.StatusOK, "Verify your email")
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	if len(m.To) != 1 || m.To[0] != "ada@example.com" {
		t.Errorf("envelope recipients %v, want only ada@example.com", m.To)
	}
	head, _, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	if strings.Contains(strings.ToLower(head), "x@y.com") || strings.Contains(strings.ToLower(head), "\nbcc:") {
		t.Errorf("the names reached the headers:\n%s", head)
	}
	for _, other := range p.SMTP.Messages() {
		for _, to := range other.To {
			if to != "ada@example.com" {
				t.Errorf("a message went to %s", to)
			}
		}
	}
}

// REQ-IN-04: an identifier with a line break is refused at sign-in and
// mails nothing.
func TestHeaderInjectionAtSignIn_REQ_IN_04(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code,password"}})
	b := newBrowser(t, p)
	for _, id := range []string{"a@b.com\r\nBcc: x@y.com", "a@b.com\nBcc: x@y.com", "a@b.com,x@y.com"} {
		pg := b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": id})
		wantText(t, "identifier "+id, pg, http.StatusUnprocessableEntity, "name@example.com")
	}
	if msgs := p.SMTP.Messages(); len(msgs) != 0 {
		t.Fatalf("%d messages sent for refused identifiers", len(msgs))
	}
}

// REQ-IN-07, REQ-OTP-10: malformed numbers and numbers that would bill the
// portal (premium rate) are refused with a message at sign-up and sign-in,
// and nothing is texted.
func TestBadPhoneNumbers_REQ_IN_07_REQ_OTP_10(t *testing.T) {
	p, _, tw := startTwilio(t, map[string]string{"PORTAL_IDENTIFIERS": "email,phone",
		"PORTAL_SIGN_UP_REQUIRED": "password", "PORTAL_FACTORS": "phone_code,password,email_code"})
	b := newBrowser(t, p)
	// At sign-in the field takes email addresses too, so what does not
	// look like a number gets the email message (inSays).
	for _, c := range []struct{ name, number, says, inSays string }{
		{"US premium rate", "+1 900 555 0100", "can't receive codes", "can't receive codes"},
		{"UK premium rate", "+44 909 8790879", "can't receive codes", "can't receive codes"},
		{"letters", "12ab", "Use only digits", "Enter your email address or phone number"},
		{"40 digits", "+" + strings.Repeat("1234567890", 4), "too long", "too long"},
		{"CR LF", "+14155550100\r\nBcc: x@y.com", "Use only digits", "name@example.com"},
		{"no country code", "415 555 0100", "Start the number with + and its country code.", "country code"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := b.in(t)
			up := signUpWith(b, map[string]string{"phone_number": c.number, "password": goodPassword}, "")
			wantText(t, "sign-up", up, http.StatusUnprocessableEntity, c.says)
			if msg := up.Doc.Find(".cl-formFieldErrorText").Text(); strings.TrimSpace(msg) == "" {
				t.Errorf("sign-up: no message beside the field:\n%s", up.text())
			}
			// The error adds to the hint under the field; it does not
			// repeat it in other words.
			hint := up.Doc.Find("#phone_number-hint").Text()
			if hint == "" || strings.Contains(up.Doc.Find("#phone_number-error").Text(), "like +1") {
				t.Errorf("sign-up: hint %q, error %q", hint, up.Doc.Find("#phone_number-error").Text())
			}
			in := b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": c.number})
			wantText(t, "sign-in", in, http.StatusUnprocessableEntity, c.inSays)
			if msg := in.Doc.Find(".cl-formFieldErrorText, .cl-alert").Text(); strings.TrimSpace(msg) == "" {
				t.Errorf("sign-in: no message:\n%s", in.text())
			}
		})
	}
	noTexts(t, tw)
}
