package e2e

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/smtptest"
)

// appWithMarkup is an instance name full of HTML's special characters: it
// must reach every subject, text body and text message as written.
const appWithMarkup = `Tom & Jerry's <Shop>`

// plainBody fails if a text body or text message carries HTML: a tag or
// an entity.
func plainBody(t *testing.T, what, body string) {
	t.Helper()
	if !strings.Contains(body, appWithMarkup) {
		t.Errorf("%s does not name the app as written:\n%s", what, body)
	}
	for _, bad := range []string{"&amp;", "&#39;", "&lt;", "&gt;", "&quot;", "&#", "<p", "</", "<a ", "<h1"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s has %q:\n%s", what, bad, body)
		}
	}
}

// germanMail checks an email went out in German: subject, HTML and text.
func germanMail(t *testing.T, what string, m smtptest.Message, subject string, text ...string) {
	t.Helper()
	if m.Subject != subject {
		t.Errorf("%s: subject %q, want %q", what, m.Subject, subject)
	}
	if !strings.Contains(m.HTML, `lang="de"`) {
		t.Errorf("%s: the HTML body is not marked German", what)
	}
	for _, w := range text {
		if !strings.Contains(m.Text, w) || !strings.Contains(m.HTML, html.EscapeString(w)) {
			t.Errorf("%s: %q missing from the text or HTML body:\n%s", what, w, m.Text)
		}
	}
	plainBody(t, what+" text body", m.Text)
}

// A person whose browser asks for German gets the sign-up code, the
// sign-in code and the texted code in German, over real SMTP and Twilio's
// API; one asking for nothing in particular gets the default, English.
// Each send still records email.created or sms.created.
func TestMessagesInTheRequestsLanguage(t *testing.T) {
	env := map[string]string{"PORTAL_APP_NAME": appWithMarkup}
	for k, v := range phoneEnv {
		env[k] = v
	}
	p, _, tw := startTwilio(t, env)
	de := newBrowser(t, p)
	de.header = http.Header{"Accept-Language": {"de-DE,de;q=0.9,en;q=0.5"}}

	verify := signUpWith(de, map[string]string{"email_address": "ada@example.com", "password": goodPassword}, appURL)
	if verify.Status != http.StatusOK {
		t.Fatalf("sign-up form: status %d:\n%s", verify.Status, verify.text())
	}
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	code := m.Code()
	germanMail(t, "sign-up code", m, code+" ist Ihr Bestätigungscode für "+appWithMarkup,
		"Ihr Bestätigungscode", "Ihre E-Mail-Adresse zu bestätigen", "Der Code läuft in 10 Minuten ab.")
	wantHandBack(t, de.submit(verify, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)

	in := newBrowser(t, p)
	in.header = de.header
	codePage := in.submit(passwordStep(t, in, "ada@example.com", appURL), prepareForm, map[string]string{"strategy": "email_code"})
	if codePage.Status != http.StatusOK {
		t.Fatalf("choosing the email code: status %d:\n%s", codePage.Status, codePage.text())
	}
	m = p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	germanMail(t, "sign-in code", m, m.Code()+" ist Ihr Bestätigungscode für "+appWithMarkup,
		"um sich bei "+appWithMarkup+" anzumelden")
	wantHandBack(t, in.submit(codePage, codeForm, map[string]string{"code": m.Code()}), http.StatusSeeOther, appURL)

	phone := newBrowser(t, p)
	phone.header = de.header
	verify = signUpWith(phone, map[string]string{"phone_number": "+1 415 555 0100", "password": goodPassword}, appURL)
	if verify.Status != http.StatusOK {
		t.Fatalf("phone sign-up form: status %d:\n%s", verify.Status, verify.text())
	}
	sms := smsTo(t, tw, adaPhone)
	plainBody(t, "text message", sms.Body)
	lines := strings.Split(sms.Body, "\n")
	if want := sms.Code() + " ist Ihr Code von " + appWithMarkup + ", um Ihre Telefonnummer zu bestätigen. Er läuft in 10 Minuten ab. Geben Sie ihn nicht weiter."; lines[0] != want {
		t.Errorf("text message %q, want it to start %q", sms.Body, want)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "@") || !strings.HasSuffix(last, " #"+sms.Code()) ||
		strings.Count(last, " ") != 1 {
		t.Errorf("last line %q, want the WebOTP line @host #code", last)
	}

	en := newBrowser(t, p)
	signUpWith(en, map[string]string{"email_address": "bob@example.com", "password": goodPassword}, appURL)
	m = p.SMTP.WaitFor(t, "bob@example.com", mailWait)
	if want := m.Code() + " is your " + appWithMarkup + " verification code"; m.Subject != want || !strings.Contains(m.HTML, `lang="en"`) {
		t.Errorf("default-language email: subject %q, want %q", m.Subject, want)
	}
	plainBody(t, "English text body", m.Text)

	evs, err := p.Store.Q.EventsAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	count := func(typ, field, to string) int {
		n := 0
		for _, e := range evs {
			var d map[string]any
			if e.Type == typ && json.Unmarshal(e.Data, &d) == nil && d[field] == to {
				n++
			}
		}
		return n
	}
	if n := count(events.EmailCreated, "to_email_address", "ada@example.com"); n != 2 {
		t.Errorf("%d %s to ada@example.com, want 2 in %v", n, events.EmailCreated, types(evs))
	}
	if n := count(events.SMSCreated, "to_phone_number", adaPhone); n != 1 {
		t.Errorf("%d %s to %s, want 1", n, events.SMSCreated, adaPhone)
	}
}
