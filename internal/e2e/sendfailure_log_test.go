package e2e

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/smtptest"
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

// A mail server that takes the connection and then says nothing (a
// tarpit, a firewall dropping its packets) is given up on in time for the
// person to be told the email could not be sent: the send fits inside
// PORTAL_WRITE_TIMEOUT, after which the server would drop the answer and
// the browser show only that the connection closed.
func TestStalledMailServerStillAnswersThePerson(t *testing.T) {
	tarpit, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		tarpit.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := tarpit.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accepted, never greeted
			mu.Unlock()
		}
	}()
	var log syncBuffer
	// DevOutbox leaves the mailer to the configuration: the SMTP URL.
	p := portaltest.Start(t, portaltest.Options{DevOutbox: true, Log: &log, Env: map[string]string{
		"PORTAL_SMTP_URL": "smtp://" + tarpit.Addr().String(), "PORTAL_WRITE_TIMEOUT": "3s", "PORTAL_LOG_FORMAT": "json"}})

	b := newBrowser(t, p)
	start := time.Now()
	pg := b.submit(b.get("/sign-up"), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada"})
	wantText(t, "sign-up with a stalled mail server", pg, http.StatusServiceUnavailable, "We couldn't send the email just now.")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the answer took %v, longer than the write timeout", took)
	}
	if !strings.Contains(log.String(), tarpit.Addr().String()) {
		t.Errorf("the log does not name the mail server that stalled:\n%s", log.String())
	}
}

// The mail server in PORTAL_SMTP_URL is tried as the portal starts: a
// wrong password is a warning naming the setting and the server's answer
// before anyone waits for a code, and the right one is said to work.
func TestMailServerIsCheckedAtStart(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithoutTLS(), smtptest.WithPassword("right"))
	host := strings.TrimPrefix(srv.URL(), "smtp://user:pass@")
	for pw, want := range map[string]string{
		"wrong": `"level":"WARN","msg":"email: the mail server in PORTAL_SMTP_URL cannot be used`,
		"right": `"level":"INFO","msg":"email: the mail server in PORTAL_SMTP_URL answers`,
	} {
		var log syncBuffer
		// DevOutbox leaves the mailer to the configuration: the SMTP URL.
		portaltest.Start(t, portaltest.Options{DevOutbox: true, Log: &log, Env: map[string]string{
			"PORTAL_SMTP_URL": "smtp://user:" + pw + "@" + host, "PORTAL_LOG_FORMAT": "json", "PORTAL_LOG_LEVEL": "info"}})
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(log.String(), want) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(log.String(), want) {
			t.Errorf("password %s: the start-up log does not say %s:\n%s", pw, want, log.String())
		}
		if pw == "wrong" && !strings.Contains(log.String(), "535") {
			t.Errorf("the warning does not give the mail server's answer (535):\n%s", log.String())
		}
		if strings.Contains(log.String(), pw+"@") {
			t.Errorf("the log holds the SMTP password:\n%s", log.String())
		}
	}
}
