package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// When the mail server refuses a code, the person is told it could not be
// sent, and the operator finds why in the log: the request's line, found
// by the X-Request-Id the person can quote, carries the mail server's
// answer (REQ-LOG-02), on sign-up and on the sign-in code step alike.
func TestRefusedEmailIsExplainedInTheRequestLog(t *testing.T) {
	var log syncBuffer
	p := portaltest.Start(t, portaltest.Options{Log: &log, Env: map[string]string{"PORTAL_LOG_FORMAT": "json"}})
	apiUser(t, p, "grace@example.com")
	p.SMTP.Refuse("ada@example.com")
	p.SMTP.Refuse("grace@example.com")

	b := newBrowser(t, p)
	signUp := b.submit(b.get("/sign-up"), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada"})
	in := newBrowser(t, p)
	signIn := in.submit(passwordStep(t, in, "grace@example.com", appURL), prepareForm, map[string]string{"strategy": "email_code"})

	for what, pg := range map[string]*page{"sign-up": signUp, "sign-in code": signIn} {
		wantText(t, what, pg, http.StatusServiceUnavailable, "We couldn't send the email just now.")
		rid := pg.Header.Get("X-Request-Id")
		var line map[string]any
		for _, l := range logLines(t, &log) {
			if l["msg"] == "request" && l["request_id"] == rid {
				line = l
			}
		}
		if line == nil {
			t.Fatalf("%s: no request line with request_id %q in the log:\n%s", what, rid, log.String())
		}
		if err, _ := line["err"].(string); !strings.Contains(err, "550") || !strings.Contains(err, "mailbox unavailable") {
			t.Errorf("%s: the request's log line says err=%q, want the mail server's refusal (550 mailbox unavailable)", what, err)
		}
		if line["level"] != "WARN" {
			t.Errorf("%s: logged at %v, want WARN", what, line["level"])
		}
	}
}
