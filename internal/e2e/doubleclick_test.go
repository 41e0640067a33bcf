package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/smtptest"
)

// sendTwice posts vals to action twice at the same moment, as a browser does
// when the button is double-clicked: the same cookies and the same CSRF
// token in both. It returns both answers, not followed.
func sendTwice(t *testing.T, b *browser, action *url.URL, vals url.Values) [2]*page {
	t.Helper()
	var (
		reqs  [2]*http.Request
		pages [2]*page
		errs  [2]error
		wg    sync.WaitGroup
	)
	for i := range reqs {
		reqs[i] = b.request(http.MethodPost, action.String(), vals)
	}
	start := make(chan struct{})
	for i := range reqs {
		wg.Go(func() {
			<-start
			resp, err := b.hc.Do(reqs[i])
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				errs[i] = err
				return
			}
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
			pages[i], errs[i] = &page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), Doc: doc,
				URL: reqs[i].URL, resp: resp}, err
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("POST %s: %v", action, err)
		}
	}
	return pages
}

// sameLanding fails unless both answers are a 303 to one place, which
// starts with path, and returns it.
func sameLanding(t *testing.T, what string, pages [2]*page, path string) string {
	t.Helper()
	for i, pg := range pages {
		if pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Header.Get("Location"), path) {
			t.Fatalf("%s, answer %d: %d to %q, want 303 to %s…:\n%s", what, i+1, pg.Status,
				pg.Header.Get("Location"), path, pg.text())
		}
	}
	if a, b := pages[0].Header.Get("Location"), pages[1].Header.Get("Location"); a != b {
		t.Fatalf("%s: the two answers land on %q and %q, want one flow", what, a, b)
	}
	return pages[0].Header.Get("Location")
}

// mailTo is the messages sent to addr so far.
func mailTo(s *smtptest.Server, addr string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// withClient gives b a __client as a person's browser has one after any
// form it sent before: here the sign-up form sent with a password that is
// too short. It returns that form, re-rendered.
func withClient(t *testing.T, b *browser, target string) *page {
	t.Helper()
	pg := b.submit(b.get(withRedirect("/sign-up", target)), signUpForm, map[string]string{
		"email_address": "someone@example.com", "password": "short", "first_name": "Ada", "last_name": "Lovelace"})
	if pg.Status != http.StatusUnprocessableEntity || b.cookie("__client") == "" {
		t.Fatalf("short password: status %d, __client %q; want 422 and a client", pg.Status, b.cookie("__client"))
	}
	return pg
}

// The sign-up form sent twice at once (a double click) starts one sign-up:
// one email, both answers on its verify page, and the emailed code
// creates the account; on both engines.
func TestDoubleClickSignUpSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		action, vals := b.formValues(withClient(t, b, appURL), signUpForm, map[string]string{
			"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
		landing := sameLanding(t, "sign-up sent twice", sendTwice(t, b, action, vals), "/sign-up/verify-email-address?")
		// Each answer left after its mail did.
		mails := mailTo(p.SMTP, "ada@example.com")
		if len(mails) != 1 {
			t.Fatalf("%d emails to ada@example.com, want 1", len(mails))
		}
		verify := b.get(landing)
		wantHandBack(t, b.submit(verify, verifyForm, map[string]string{"code": mails[0].Code()}), http.StatusSeeOther, appURL)
	})
}

// REQ-RL-05: signing up with an address that has an account answers a
// double click as for a new one (one flow, its verify page) and tells the
// owner once, not twice.
func TestDoubleClickSignUpExistingEmailTellsOwnerOnce_REQ_RL_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	before := len(mailTo(p.SMTP, "ada@example.com"))

	b := newBrowser(t, p)
	action, vals := b.formValues(withClient(t, b, ""), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
	sameLanding(t, "sign-up of a taken address sent twice", sendTwice(t, b, action, vals), "/sign-up/verify-email-address?")
	mails := mailTo(p.SMTP, "ada@example.com")[before:]
	if len(mails) != 1 {
		t.Fatalf("%d emails to the owner, want 1", len(mails))
	}
	if !strings.Contains(mails[0].Subject, "already have") || mails[0].Code() != "" {
		t.Errorf("the owner got %q (code %q), want the 'already have an account' email and no code", mails[0].Subject, mails[0].Code())
	}
}

// The identifier of an email-code sign-in sent twice at once starts one
// sign-in: one code, both answers on its code page, and that code signs
// in; on both engines.
func TestDoubleClickEmailCodeSignInSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres, Env: map[string]string{"PORTAL_FACTORS": "email_code"}})
		b := newBrowser(t, p)
		wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
		b.submit(b.get("/sign-out"), signOutForm, nil) // the browser keeps its __client
		before := len(mailTo(p.SMTP, "ada@example.com"))

		action, vals := b.formValues(b.get(withRedirect("/sign-in", appURL)), signInForm,
			map[string]string{"identifier": "ada@example.com"})
		landing := sameLanding(t, "identifier sent twice", sendTwice(t, b, action, vals), "/sign-in/factor-one?")
		mails := mailTo(p.SMTP, "ada@example.com")[before:]
		if len(mails) != 1 {
			t.Fatalf("%d sign-in emails, want 1", len(mails))
		}
		codePage := b.get(landing)
		wantText(t, "the code page", codePage, http.StatusOK, "Check your email")
		// The code sent twice at once too: both answers hand back, one
		// having waited for the other to finish.
		action, vals = b.formValues(codePage, codeForm, map[string]string{"code": mails[0].Code()})
		for i, ans := range sendTwice(t, b, action, vals) {
			if ans.Status != http.StatusSeeOther || ans.Header.Get("Location") != appURL || ans.setCookie("__session") == nil {
				t.Fatalf("code sent twice, answer %d: %d to %q, want the hand-back:\n%s", i+1, ans.Status, ans.Header.Get("Location"), ans.text())
			}
		}
	})
}

// "Send a new code" pressed twice at once, past the 30 s wait, sends one
// new code, not two (both requests used to pass the wait before either
// stored its code): the second is told to wait, and the code sent signs
// in; on both engines (REQ-OTP-03: one live code per flow).
func TestDoubleClickResendSendsOneCode_REQ_OTP_03(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p, clock := startFake(t, portaltest.Options{Postgres: postgres})
		signUp(t, p, newBrowser(t, p), "ada@example.com", "")
		b := newBrowser(t, p)
		codePage := b.submit(passwordStep(t, b, "ada@example.com", appURL), prepareForm, map[string]string{"strategy": "email_code"})
		wantText(t, "the code page", codePage, http.StatusOK, "Check your email")
		before := len(mailTo(p.SMTP, "ada@example.com"))
		clock.Advance(31 * time.Second)

		resend := `form[action="/sign-in/factor-one/prepare"]:has(input[name="strategy"][value="email_code"])`
		action, vals := b.formValues(codePage, resend, nil)
		answers := sendTwice(t, b, action, vals)
		mails := mailTo(p.SMTP, "ada@example.com")[before:]
		if len(mails) != 1 {
			t.Fatalf("%d emails after a double-clicked resend, want 1 (answers %d and %d)", len(mails),
				answers[0].Status, answers[1].Status)
		}
		again := b.get(withRedirect("/sign-in/factor-one", appURL))
		for _, pg := range answers {
			if pg.Status == http.StatusSeeOther {
				again = b.follow(pg)
			}
		}
		wantHandBack(t, b.submit(again, codeForm, map[string]string{"code": mails[0].Code()}), http.StatusSeeOther, appURL)
	})
}

// A browser's first visit: no cookie at all, the sign-up page, and its form
// sent twice at once. The page gave the browser its client's ID (and wrote
// no client), so both answers start one sign-up: one email, whose code
// creates the account; on both engines.
func TestDoubleClickFirstVisitSignUpSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		form := b.get(withRedirect("/sign-up", appURL))
		if b.cookie("__client") == "" {
			t.Errorf("GET /sign-up gave a new browser no __client cookie")
		}
		action, vals := b.formValues(form, signUpForm, map[string]string{
			"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
		landing := sameLanding(t, "first sign-up sent twice", sendTwice(t, b, action, vals), "/sign-up/verify-email-address?")
		mails := mailTo(p.SMTP, "ada@example.com")
		if len(mails) != 1 {
			t.Fatalf("%d emails to ada@example.com, want 1", len(mails))
		}
		wantHandBack(t, b.submit(b.get(landing), verifyForm, map[string]string{"code": mails[0].Code()}), http.StatusSeeOther, appURL)
	})
}

// The same for an email-code sign-in from a browser that never visited
// before: one code, and it signs in; on both engines.
func TestDoubleClickFirstVisitEmailCodeSignInSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres, Env: map[string]string{"PORTAL_FACTORS": "email_code"}})
		wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL), http.StatusSeeOther, appURL)
		before := len(mailTo(p.SMTP, "ada@example.com"))

		b := newBrowser(t, p)
		form := b.get(withRedirect("/sign-in", appURL))
		if b.cookie("__client") == "" {
			t.Errorf("GET /sign-in gave a new browser no __client cookie")
		}
		action, vals := b.formValues(form, signInForm, map[string]string{"identifier": "ada@example.com"})
		landing := sameLanding(t, "first identifier sent twice", sendTwice(t, b, action, vals), "/sign-in/factor-one?")
		mails := mailTo(p.SMTP, "ada@example.com")[before:]
		if len(mails) != 1 {
			t.Fatalf("%d sign-in emails, want 1", len(mails))
		}
		wantHandBack(t, b.submit(b.get(landing), codeForm, map[string]string{"code": mails[0].Code()}), http.StatusSeeOther, appURL)
	})
}

// The last code sent twice at once (a double click on Verify): the first
// answer makes the account, and the second, which finds the code used,
// waits for it and lands in the same place instead of saying the code was
// already used — the browser shows the second answer.
func TestDoubleClickFinalCodeLandsOnce(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for i := range 5 {
		b := newBrowser(t, p)
		email := "ada" + string(rune('a'+i)) + "@example.com"
		pg := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
			"email_address": email, "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
		code := p.SMTP.WaitFor(t, email, mailWait).Code()
		action, vals := b.formValues(pg, verifyForm, map[string]string{"code": code})
		twice := sendTwice(t, b, action, vals)
		for j, ans := range twice {
			if ans.Status != http.StatusSeeOther || ans.setCookie("__session") == nil {
				t.Fatalf("try %d, answer %d: %d to %q, want the hand-back with a session:\n%s", i+1, j+1, ans.Status,
					ans.Header.Get("Location"), ans.text())
			}
		}
		userID(t, p, email) // one account: made once
	}
}

// An email code sent twice at once by an account with an authenticator app
// (a double click on Verify): the first answer moves the sign-in on to its
// second step, not to its end, and the second, which finds the code used,
// goes there too — at once, not after waiting out its 3 s for an end that
// does not come, and not to "This code was already used" over a step that
// worked (the browser shows the second answer).
func TestDoubleClickCodeBeforeASecondFactorLandsOnIt(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code"}})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	enrolTOTP(t, b, clock)
	b.submit(b.get("/sign-out"), signOutForm, nil)
	// Which copy finds the code used, and whether it loads the flow
	// before or after the other moved it on, is up to the race: a few
	// tries meet each case.
	for try := range 8 {
		clock.Advance(time.Minute) // past the wait before a new code
		before := len(mailTo(p.SMTP, "ada@example.com"))
		codePage := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
		wantText(t, "the code page", codePage, http.StatusOK, "Check your email")
		mails := mailTo(p.SMTP, "ada@example.com")[before:]
		if len(mails) != 1 {
			t.Fatalf("try %d: %d sign-in emails, want 1", try+1, len(mails))
		}
		action, vals := b.formValues(codePage, codeForm, map[string]string{"code": mails[0].Code()})
		began := time.Now()
		twice := sendTwice(t, b, action, vals)
		took := time.Since(began)
		sameLanding(t, fmt.Sprintf("try %d, the code sent twice", try+1), twice, "/sign-in/factor-two?")
		if took > 2*time.Second {
			t.Fatalf("try %d: the answers took %v: one waited for a sign-in to end that had moved on to its second step", try+1, took)
		}
	}
}
