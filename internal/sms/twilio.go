package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// DefaultTwilioAPIURL is where Twilio's REST API lives.
const DefaultTwilioAPIURL = "https://api.twilio.com"

// Timeout bounds one request to Twilio unless TwilioConfig.Timeout is
// shorter, so a slow provider cannot hold a sign-in page open.
const Timeout = 10 * time.Second

// TwilioConfig configures Twilio's Messages API. Its String and LogValue
// leave out the auth token.
type TwilioConfig struct {
	AccountSID string // AC… followed by 32 hex digits
	AuthToken  string
	From       string // E.164 number, short code, or alphanumeric sender ID
	APIURL     string // default DefaultTwilioAPIURL; https unless loopback
	HTTPClient *http.Client
	Clock      clockwork.Clock // runs the Timeout; default the real clock
	// Timeout bounds one request to Twilio: 0 or more than Timeout is
	// Timeout. Less leaves a request that texts time to answer within
	// the server's write timeout when Twilio stalls.
	Timeout time.Duration
}

func (c TwilioConfig) String() string {
	return fmt.Sprintf("twilio(account %s, from %s, api %s)", c.AccountSID, c.From, c.APIURL)
}

// LogValue keeps the auth token out of structured logs.
func (c TwilioConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account_sid", c.AccountSID),
		slog.String("from", c.From),
		slog.String("api_url", c.APIURL),
	)
}

// Twilio sends text messages through Twilio's Messages API.
type Twilio struct {
	endpoint string
	sid      string
	token    string
	from     string
	client   *http.Client
	clock    clockwork.Clock
	timeout  time.Duration
	stalled  error // the cause of a request cancelled after timeout
}

var _ Sender = (*Twilio)(nil)

var (
	accountSIDRE = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	senderIDRE   = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`) // short codes and alphanumeric IDs
)

// NewTwilio checks cfg and returns a Twilio sender.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if !accountSIDRE.MatchString(cfg.AccountSID) {
		return nil, errors.New("sms: twilio account SID must be AC followed by 32 hex digits")
	}
	if cfg.AuthToken == "" {
		return nil, errors.New("sms: twilio auth token is empty")
	}
	if !e164.MatchString(cfg.From) && !senderIDRE.MatchString(cfg.From) {
		return nil, fmt.Errorf("sms: twilio sender %q is neither an E.164 number nor a sender ID", cfg.From)
	}
	base, err := apiBase(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	// A redirect is never part of Twilio's API; following one could hand
	// the credentials to another host.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	clock := cfg.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	timeout := Timeout
	if cfg.Timeout > 0 {
		timeout = min(timeout, cfg.Timeout)
	}
	return &Twilio{
		endpoint: base + "/2010-04-01/Accounts/" + cfg.AccountSID + "/Messages.json",
		sid:      cfg.AccountSID,
		token:    cfg.AuthToken,
		from:     cfg.From,
		client:   client,
		clock:    clock,
		timeout:  timeout,
		stalled:  fmt.Errorf("sms: twilio gave no answer within %v", timeout),
	}, nil
}

// apiBase checks the configured API URL. Plain http is allowed only to a
// loopback host (tests, a local relay), since Basic auth sends the token in
// every request.
func apiBase(raw string) (string, error) {
	if raw == "" {
		raw = DefaultTwilioAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("sms: twilio API URL: %w", err)
	}
	switch {
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("sms: twilio API URL %q must be scheme://host[/path] only", raw)
	case u.Scheme == "http" && !loopback(u.Hostname()), u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("sms: twilio API URL %q must use https", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (t *Twilio) String() string   { return "twilio(account " + t.sid + ", from " + t.from + ")" }
func (t *Twilio) GoString() string { return t.String() }

// SendSMS asks Twilio to send m. Every failure is an *apperr.Error: Invalid
// (field phone_number) when the number is the problem, Unavailable
// otherwise; a *ProviderError below it carries Twilio's answer, if any.
func (t *Twilio) SendSMS(ctx context.Context, m Message) error {
	m, err := m.checked()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := t.clock.AfterFunc(t.timeout, func() { cancel(t.stalled) })
	defer timer.Stop()

	form := url.Values{"To": {m.To}, "From": {t.from}, "Body": {m.Body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("sms: twilio: %w", err)
	}
	req.SetBasicAuth(t.sid, t.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := t.client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, t.stalled) {
			err = fmt.Errorf("%w: %w", t.stalled, err)
		}
		return unavailable(fmt.Errorf("sms: twilio: %w", err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Twilio has accepted the message once the status line arrives; a
		// body cut short changes nothing.
		return nil
	}
	if err != nil {
		return unavailable(fmt.Errorf("sms: twilio: reading error answer %d: %w", resp.StatusCode, err))
	}
	return forPerson(t.providerError(resp.StatusCode, body))
}

// providerError reads Twilio's JSON error body, falling back to the status
// text when a proxy or load balancer answered instead.
func (t *Twilio) providerError(status int, body []byte) *ProviderError {
	var b struct {
		Code     int    `json:"code"`
		Message  string `json:"message"`
		MoreInfo string `json:"more_info"`
	}
	if json.Unmarshal(body, &b) != nil || (b.Code == 0 && b.Message == "") {
		return &ProviderError{Status: status, Message: http.StatusText(status)}
	}
	// Twilio has no reason to echo the token, but its text reaches the log.
	msg := strings.ReplaceAll(b.Message, t.token, "[redacted]")
	return &ProviderError{Status: status, Code: b.Code, Message: msg, MoreInfo: b.MoreInfo}
}
