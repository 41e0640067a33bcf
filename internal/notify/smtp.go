package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jonboulle/clockwork"
)

// SMTPMailer delivers each Email over a fresh SMTP connection.
type SMTPMailer struct {
	addr         string // host:port
	host         string
	implicitTLS  bool
	user, pass   string
	from         *mail.Address
	tlsConfig    *tls.Config
	insecureAuth bool
	clock        clockwork.Clock
	dialTimeout  time.Duration
	sendTimeout  time.Duration
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Option adjusts an SMTPMailer.
type Option func(*SMTPMailer)

// WithTLSConfig sets the TLS client configuration, e.g. to trust a test
// server's self-signed certificate. ServerName defaults to the URL's host.
func WithTLSConfig(c *tls.Config) Option {
	return func(s *SMTPMailer) { s.tlsConfig = c.Clone() }
}

// WithInsecureAuth lets AUTH PLAIN go over an unencrypted connection to any
// host. For tests only: it sends the password in clear.
func WithInsecureAuth() Option {
	return func(s *SMTPMailer) { s.insecureAuth = true }
}

// WithClock sets the clock for the Date header.
func WithClock(c clockwork.Clock) Option {
	return func(s *SMTPMailer) { s.clock = c }
}

// WithTimeouts bounds connecting and the whole send (defaults 10 s and 30 s).
func WithTimeouts(dial, send time.Duration) Option {
	return func(s *SMTPMailer) { s.dialTimeout, s.sendTimeout = dial, send }
}

// NewSMTP returns a mailer for smtp://user:pass@host:port (STARTTLS when the
// server offers it, required before AUTH unless the host is loopback) or
// smtps://user:pass@host:port (implicit TLS). from is the sender, with or
// without a display name.
func NewSMTP(rawURL, from string, opts ...Option) (*SMTPMailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("notify: SMTP URL is not valid: %w", err)
	}
	s := &SMTPMailer{
		clock:       clockwork.NewRealClock(),
		dialTimeout: 10 * time.Second,
		sendTimeout: 30 * time.Second,
	}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		s.implicitTLS, port = true, "465"
	default:
		return nil, fmt.Errorf("notify: SMTP URL scheme %q: want smtp or smtps", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("notify: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if s.from, err = parseFrom(from); err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(s)
	}
	var d net.Dialer
	s.dial = d.DialContext
	return s, nil
}

// SendEmail delivers m to its single recipient (REQ-IN-04). Unsafe header
// values are refused before any connection is made.
func (s *SMTPMailer) SendEmail(ctx context.Context, m Email) error {
	to, err := recipient(m)
	if err != nil {
		return err
	}
	msg, err := compose(s.from, to, m, s.clock.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.sendTimeout)
	defer cancel()
	if err := s.deliver(ctx, to, msg); err != nil {
		ctxErr := ctx.Err()
		if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadline is ctx's; its timer may just not
			// have fired yet.
			ctxErr = context.DeadlineExceeded
		}
		if ctxErr != nil {
			return fmt.Errorf("notify: send email via %s: %w: %w", s.addr, ctxErr, err)
		}
		return fmt.Errorf("notify: send email via %s: %w", s.addr, err)
	}
	return nil
}

func (s *SMTPMailer) deliver(ctx context.Context, to string, msg []byte) error {
	c, secure, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = s.sendTimeout, s.sendTimeout
	if err := s.login(c, secure); err != nil {
		return err
	}
	if err := c.SendMail(s.from.Address, []string{to}, bytes.NewReader(msg)); err != nil {
		return err
	}
	// The server has accepted the message; a failed QUIT must not make the
	// caller retry and send it twice.
	_ = c.Quit()
	return nil
}

// login authenticates when the URL has a user, over TLS unless the server
// is on loopback.
func (s *SMTPMailer) login(c *smtp.Client, secure bool) error {
	if s.user == "" {
		return nil
	}
	if !secure && !s.insecureAuth && !isLoopback(s.host) {
		return errors.New("refusing AUTH without TLS")
	}
	if !c.SupportsAuth(sasl.Plain) {
		return errors.New("server does not offer AUTH PLAIN")
	}
	if err := c.Auth(sasl.NewPlainClient("", s.user, s.pass)); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// Check connects, negotiates TLS and logs in as a send does, then quits
// without sending anything: a start-up check that the server in the URL
// will take the portal's email.
func (s *SMTPMailer) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.sendTimeout)
	defer cancel()
	c, secure, err := s.open(ctx)
	if err == nil {
		defer c.Close()
		c.CommandTimeout = s.sendTimeout
		err = s.login(c, secure)
	}
	if err != nil {
		return fmt.Errorf("notify: SMTP server %s: %w", s.addr, err)
	}
	_ = c.Quit()
	return nil
}

// open connects and negotiates TLS, reporting whether the session is
// encrypted.
func (s *SMTPMailer) open(ctx context.Context) (*smtp.Client, bool, error) {
	cfg := s.clientTLS()
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, false, err
	}
	if s.implicitTLS {
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, false, fmt.Errorf("TLS handshake: %w", err)
		}
		return smtp.NewClient(tc), true, nil
	}
	mustTLS := s.user != "" && !s.insecureAuth && !isLoopback(s.host)
	if !mustTLS {
		// go-smtp cannot upgrade a client it has already greeted, so probe
		// on one connection and, if STARTTLS is offered, redial. Only
		// loopback, unauthenticated or test setups take this path.
		c := smtp.NewClient(conn)
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return c, false, nil
		}
		c.Close()
		if conn, err = s.connect(ctx); err != nil {
			return nil, false, err
		}
	}
	c, err := smtp.NewClientStartTLS(conn, cfg)
	if err != nil {
		return nil, false, fmt.Errorf("STARTTLS: %w", err)
	}
	// The handshake runs on the next write; greet now so a certificate
	// error surfaces as such rather than as a missing extension.
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, false, fmt.Errorf("STARTTLS: %w", err)
	}
	return c, true, nil
}

// connect dials and ties the connection to ctx: its deadline caps every
// deadline go-smtp sets, and cancelling ctx closes the connection.
func (s *SMTPMailer) connect(ctx context.Context) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, s.dialTimeout)
	defer cancel()
	raw, err := s.dial(dctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	dl, _ := ctx.Deadline()
	c := &deadlineConn{Conn: raw, limit: dl}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	c.stop = stop
	if err := c.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *SMTPMailer) clientTLS() *tls.Config {
	cfg := &tls.Config{}
	if s.tlsConfig != nil {
		cfg = s.tlsConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.host
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// deadlineConn keeps go-smtp's per-command deadlines (including its reset to
// "no deadline") within the send's overall deadline.
type deadlineConn struct {
	net.Conn
	limit time.Time
	stop  func() bool
}

func (c *deadlineConn) clamp(t time.Time) time.Time {
	if !c.limit.IsZero() && (t.IsZero() || t.After(c.limit)) {
		return c.limit
	}
	return t
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	return c.Conn.SetDeadline(c.clamp(t))
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

func (c *deadlineConn) Close() error {
	c.stop()
	return c.Conn.Close()
}
