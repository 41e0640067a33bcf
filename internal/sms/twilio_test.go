package sms_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/sms"
	"github.com/portalhq/portal/internal/testutil/twiliotest"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "tok-3f9a1c0d5e7b2468ace13579bdf02468"
	sender     = "+15005550006"
	ada        = "+14155550100"
)

func newTwilio(t *testing.T, srv *twiliotest.Server, token string, clock clockwork.Clock) *sms.Twilio {
	t.Helper()
	tw, err := sms.NewTwilio(sms.TwilioConfig{
		AccountSID: accountSID, AuthToken: token, From: sender, APIURL: srv.URL(), Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tw
}

func TestTwilioSends(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	var s sms.Sender = newTwilio(t, srv, authToken, nil)

	body := "Your Portal code is 482913.\r\nDon't share it. ünïcödé"
	if err := s.SendSMS(context.Background(), sms.Message{To: ada, Body: body}); err != nil {
		t.Fatal(err)
	}
	m := srv.WaitFor(t, ada, time.Second)
	if m.From != sender || m.Code() != "482913" || !strings.HasPrefix(m.SID, "SM") ||
		m.Body != "Your Portal code is 482913.\nDon't share it. ünïcödé" {
		t.Errorf("server received %+v", m)
	}
}

func TestTwilioProviderErrors(t *testing.T) {
	catalog, err := i18n.New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		token          string // "" means the right one
		status, code   int
		wantCode       apperr.Code
		wantField, msg string
	}{
		{name: "wrong credentials", token: "wrong-token",
			wantCode: apperr.Unavailable, msg: "We couldn't send the text message just now. Please try again in a moment."},
		{name: "invalid number", status: 400, code: 21211,
			wantCode: apperr.Invalid, wantField: "phone_number", msg: "This number can't receive text messages. Check it or use another."},
		{name: "not a mobile number", status: 400, code: 21614,
			wantCode: apperr.Invalid, wantField: "phone_number", msg: "This number can't receive text messages. Check it or use another."},
		{name: "region not enabled", status: 400, code: 21408,
			wantCode: apperr.Invalid, wantField: "phone_number", msg: "We can't send text messages to numbers in this country."},
		{name: "unsubscribed", status: 400, code: 21610,
			wantCode: apperr.Invalid, wantField: "phone_number", msg: "This number turned off our text messages by replying STOP. Reply START to one of our earlier texts to turn them back on, or use another number."},
		{name: "rate limited", status: 429, code: 20429,
			wantCode: apperr.Unavailable, msg: "We couldn't send the text message just now. Please try again in a moment."},
		{name: "outage", status: 500, code: 0,
			wantCode: apperr.Unavailable, msg: "We couldn't send the text message just now. Please try again in a moment."},
		{name: "our sender number is wrong", status: 400, code: 21606,
			wantCode: apperr.Unavailable, msg: "We couldn't send the text message just now. Please try again in a moment."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twiliotest.Start(t, accountSID, authToken)
			token := authToken
			if tt.token != "" {
				token = tt.token
			}
			if tt.status != 0 {
				srv.FailNext(tt.status, tt.code, fmt.Sprintf("simulated error %d", tt.code))
			}
			err := newTwilio(t, srv, token, nil).SendSMS(context.Background(), sms.Message{To: ada, Body: "Code 123456"})

			e, ok := apperr.As(err)
			if !ok {
				t.Fatalf("error %v is not an *apperr.Error", err)
			}
			if e.Code != tt.wantCode || e.Field != tt.wantField || e.Message != tt.msg {
				t.Errorf("got {%s %q %q}, want {%s %q %q}", e.Code, e.Field, e.Message, tt.wantCode, tt.wantField, tt.msg)
			}
			// Pages show the catalog message: the same sentence in English,
			// translated in German.
			if en := catalog.For("en").T(e.ID, e.Args...); en != tt.msg {
				t.Errorf("catalog message %s is %q, Message %q", e.ID, en, tt.msg)
			}
			if de := catalog.For("de").T(e.ID, e.Args...); de == tt.msg || de == e.ID {
				t.Errorf("no German for %s: %q", e.ID, de)
			}
			var pe *sms.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v has no *sms.ProviderError", err)
			}
			wantStatus, wantProviderCode := tt.status, tt.code
			if tt.token != "" {
				wantStatus, wantProviderCode = 401, 20003
			}
			if pe.Status != wantStatus || pe.Code != wantProviderCode {
				t.Errorf("ProviderError %+v, want status %d code %d", pe, wantStatus, wantProviderCode)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(fmt.Sprintf("%+v", err), token) {
				t.Errorf("error text contains the auth token: %v", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server recorded %d messages", n)
			}
		})
	}
}

func TestTwilioNonJSONErrorAnswer(t *testing.T) {
	proxy := http.NewServeMux()
	proxy.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	})
	url := serve(t, proxy)
	tw, err := sms.NewTwilio(sms.TwilioConfig{AccountSID: accountSID, AuthToken: authToken, From: sender, APIURL: url})
	if err != nil {
		t.Fatal(err)
	}
	err = tw.SendSMS(context.Background(), sms.Message{To: ada, Body: "hi"})
	var pe *sms.ProviderError
	if apperr.CodeOf(err) != apperr.Unavailable || !errors.As(err, &pe) || pe.Status != 502 || pe.Message != "Bad Gateway" {
		t.Errorf("got %v", err)
	}
}

func TestTwilioRefusesRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/steal", http.StatusTemporaryRedirect)
	})
	tw, err := sms.NewTwilio(sms.TwilioConfig{AccountSID: accountSID, AuthToken: authToken, From: sender, APIURL: serve(t, mux)})
	if err != nil {
		t.Fatal(err)
	}
	err = tw.SendSMS(context.Background(), sms.Message{To: ada, Body: "hi"})
	var pe *sms.ProviderError
	if apperr.CodeOf(err) != apperr.Unavailable || !errors.As(err, &pe) || pe.Status != 307 {
		t.Errorf("got %v", err)
	}
}

// The 10-second timeout runs on the injected clock, so the test advances it
// instead of waiting.
func TestTwilioTimesOut(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	clock := clockwork.NewFakeClock()
	tw := newTwilio(t, srv, authToken, clock)
	srv.StallNext()

	done := make(chan error, 1)
	go func() { done <- tw.SendSMS(context.Background(), sms.Message{To: ada, Body: "Code 123456"}) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(sms.Timeout - time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("gave up before the timeout: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	clock.Advance(time.Millisecond)

	select {
	case err := <-done:
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Unavailable ||
			e.Message != "We couldn't send the text message just now. Please try again in a moment." {
			t.Errorf("got %v", err)
		}
		if !strings.Contains(err.Error(), "no answer within 10s") {
			t.Errorf("error %q does not name the timeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SendSMS still waiting after the timeout")
	}
}

func TestTwilioHonoursContext(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	tw := newTwilio(t, srv, authToken, clockwork.NewFakeClock())
	srv.StallNext()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := tw.SendSMS(ctx, sms.Message{To: ada, Body: "Code 123456"})
	if apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}

	// The stall is used up: the next request goes through.
	if err := tw.SendSMS(context.Background(), sms.Message{To: ada, Body: "Code 654321"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, ada, time.Second).Code(); got != "654321" {
		t.Errorf("code %q", got)
	}
}

func TestTwilioRefusesUnsafeMessagesBeforeSending(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	tw := newTwilio(t, srv, authToken, nil)
	for _, m := range []sms.Message{
		{To: "4155550100", Body: "hi"},
		{To: ada, Body: "a\x00b"},
		{To: ada, Body: strings.Repeat("x", sms.MaxBodyLen+1)},
	} {
		if err := tw.SendSMS(context.Background(), m); !errors.Is(err, sms.ErrInvalidMessage) {
			t.Errorf("SendSMS(%.40q) = %v", m, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestNewTwilioChecksConfig(t *testing.T) {
	good := sms.TwilioConfig{AccountSID: accountSID, AuthToken: authToken, From: sender}
	if _, err := sms.NewTwilio(good); err != nil {
		t.Fatalf("default API URL: %v", err)
	}
	tests := map[string]func(*sms.TwilioConfig){
		"short account SID":          func(c *sms.TwilioConfig) { c.AccountSID = "AC123" },
		"account SID with a path":    func(c *sms.TwilioConfig) { c.AccountSID = "AC0123456789abcdef0123456789abc/.." },
		"empty token":                func(c *sms.TwilioConfig) { c.AuthToken = "" },
		"sender with a line break":   func(c *sms.TwilioConfig) { c.From = "+15005550006\n" },
		"sender ID too long":         func(c *sms.TwilioConfig) { c.From = "PortalSender" },
		"plain http to another host": func(c *sms.TwilioConfig) { c.APIURL = "http://api.twilio.com" },
		"credentials in the URL":     func(c *sms.TwilioConfig) { c.APIURL = "https://u:p@api.twilio.com" },
		"query in the URL":           func(c *sms.TwilioConfig) { c.APIURL = "https://api.twilio.com?x=1" },
		"not a URL":                  func(c *sms.TwilioConfig) { c.APIURL = "api.twilio.com" },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			c := good
			change(&c)
			if _, err := sms.NewTwilio(c); err == nil {
				t.Error("NewTwilio succeeded, want an error")
			}
		})
	}
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:9/", "http://[::1]:7", "https://proxy.example.com/twilio/"} {
		c := good
		c.APIURL = ok
		if _, err := sms.NewTwilio(c); err != nil {
			t.Errorf("APIURL %q: %v", ok, err)
		}
	}
}

func TestTwilioKeepsTokenOutOfText(t *testing.T) {
	cfg := sms.TwilioConfig{AccountSID: accountSID, AuthToken: authToken, From: sender}
	tw, err := sms.NewTwilio(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprint(tw), fmt.Sprintf("%+v", tw), fmt.Sprintf("%#v", tw),
		cfg.LogValue().String(),
	} {
		if strings.Contains(s, authToken) {
			t.Errorf("%q contains the auth token", s)
		}
	}
}
