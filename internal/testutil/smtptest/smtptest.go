// Package smtptest runs an in-process SMTP server that accepts all mail and
// records it, for tests that send email through the real SMTP client.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/portalhq/portal/internal/testutil/testcert"
)

// Message is one mail as the server received it. Treat it as read-only.
type Message struct {
	From     string   // envelope MAIL FROM
	To       []string // envelope RCPT TO, in order
	Data     []byte   // the raw message, headers and body
	Header   gomail.Header
	Subject  string // decoded
	Text     string // text/plain part, decoded
	HTML     string // text/html part, decoded
	TLS      bool   // arrived over STARTTLS or implicit TLS
	Username string // AUTH PLAIN user, "" if the client did not authenticate
	Err      error  // why Data could not be parsed as MIME, if it could not
}

var (
	codeRE = regexp.MustCompile(`(?:^|[^0-9])([0-9]{6})(?:[^0-9]|$)`)
	linkRE = regexp.MustCompile(`https?://[^\s<>"]+`)
)

// Code returns the first run of exactly six digits in the text body, or "".
func (m Message) Code() string {
	if s := codeRE.FindStringSubmatch(m.Text); s != nil {
		return s[1]
	}
	return ""
}

// Link returns the first http(s) URL in the text body, without sentence
// punctuation that follows it, or "".
func (m Message) Link() string {
	return strings.TrimRight(linkRE.FindString(m.Text), ".,;:!?)")
}

// Server is a running test SMTP server.
type Server struct {
	srv       *smtp.Server
	url       string
	clientTLS *tls.Config

	mu      sync.Mutex
	msgs    []Message
	seen    map[string]int // address → len(msgs) when WaitFor last returned for it
	arrived chan struct{}  // closed and replaced on every new message
	refused map[string]bool
	// password, when set, is the only one AUTH takes.
	password string
	// slow is how long DATA waits before it takes a message (Slow);
	// inData counts the messages being taken now, and mostInData the
	// most there have been at once.
	slow               time.Duration
	inData, mostInData int
}

// Slow makes the server take d to accept each message's data, as a mail
// server under load or far away does; 0 makes it quick again.
func (s *Server) Slow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// MostAtOnce is the most messages the server has been taking at the same
// time (in DATA, over separate connections): 1 when they came one after
// another. With Slow, sends that overlap at all show here.
func (s *Server) MostAtOnce() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mostInData
}

// Refuse makes the server refuse mail to addr (550 at RCPT), as a mail
// server that is down or rejects the recipient does; Accept undoes it.
func (s *Server) Refuse(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[normal(addr)] = true
}

// Accept takes mail to addr again.
func (s *Server) Accept(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refused, normal(addr))
}

type config struct {
	noTLS, implicitTLS bool
	password           string
}

// Option changes how Start configures the server.
type Option func(*config)

// WithoutTLS makes the server offer neither STARTTLS nor TLS, like a bare
// local relay.
func WithoutTLS() Option { return func(c *config) { c.noTLS = true } }

// WithPassword makes the server refuse AUTH (535) with any other
// password, as a mail server does a wrong one.
func WithPassword(pw string) Option { return func(c *config) { c.password = pw } }

// WithImplicitTLS makes the server speak TLS from the first byte (smtps://).
func WithImplicitTLS() Option { return func(c *config) { c.implicitTLS = true } }

// Start runs a server on 127.0.0.1 until the test ends. By default it offers
// STARTTLS with a fresh self-signed certificate and accepts AUTH PLAIN with
// any credentials, with or without TLS.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{seen: map[string]int{}, arrived: make(chan struct{}), refused: map[string]bool{}, password: cfg.password}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	scheme := "smtp"
	if !cfg.noTLS {
		cert, pool, err := testcert.SelfSigned()
		if err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
		serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.clientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if cfg.implicitTLS {
			ln, scheme = tls.NewListener(ln, serverTLS), "smtps"
		} else {
			s.srv.TLSConfig = serverTLS
		}
	}
	s.url = fmt.Sprintf("%s://user:pass@%s", scheme, ln.Addr())

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		<-done
	})
	return s
}

// URL returns smtp://user:pass@127.0.0.1:PORT (smtps:// with
// WithImplicitTLS).
func (s *Server) URL() string { return s.url }

// TLSConfig returns a client configuration that trusts the server's
// certificate; nil with WithoutTLS.
func (s *Server) TLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// WaitFor returns the newest message to the address to (case-insensitive)
// that arrived after the previous WaitFor for that address returned, waiting
// up to timeout. Older unreturned messages to the same address are skipped,
// so after "resend code" a test gets the latest code. It fails the test on
// timeout.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	to = normal(to)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for i := len(s.msgs) - 1; i >= s.seen[to]; i-- {
			if slices.ContainsFunc(s.msgs[i].To, func(r string) bool { return normal(r) == to }) {
				s.seen[to] = i + 1
				m := s.msgs[i]
				s.mu.Unlock()
				return m
			}
		}
		arrived := s.arrived
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("smtptest: no new message to %s within %v", to, timeout)
			return Message{}
		}
	}
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

func normal(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

// session records one SMTP transaction at a time.
type session struct {
	srv      *Server
	conn     *smtp.Conn
	username string
	from     string
	to       []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if s.srv.password != "" && password != s.srv.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}
		}
		s.username = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	refused := s.srv.refused[normal(to)]
	s.srv.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	s.srv.mu.Lock()
	s.srv.inData++
	s.srv.mostInData = max(s.srv.mostInData, s.srv.inData)
	slow := s.srv.slow
	s.srv.mu.Unlock()
	defer func() {
		s.srv.mu.Lock()
		s.srv.inData--
		s.srv.mu.Unlock()
	}()
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	time.Sleep(slow)
	_, isTLS := s.conn.TLSConnectionState()
	m := Message{
		From: s.from, To: slices.Clone(s.to), Data: raw,
		TLS: isTLS, Username: s.username,
	}
	m.Err = parse(&m)
	s.srv.add(m)
	return nil
}

func (s *session) Reset() {
	s.from, s.to = "", nil
}

func (s *session) Logout() error { return nil }

func parse(m *Message) error {
	r, err := gomail.CreateReader(bytes.NewReader(m.Data))
	if err != nil {
		return err
	}
	m.Header = r.Header
	if m.Subject, err = r.Header.Subject(); err != nil {
		return err
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		h, ok := p.Header.(*gomail.InlineHeader)
		if !ok {
			continue
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			return err
		}
		switch ct, _, _ := h.ContentType(); ct {
		case "text/plain":
			m.Text = string(body)
		case "text/html":
			m.HTML = string(body)
		}
	}
}
