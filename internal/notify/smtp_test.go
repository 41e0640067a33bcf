package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/smtptest"
)

const from = "Portal <no-reply@portal.example>"

func newMailer(t *testing.T, srv *smtptest.Server, opts ...Option) *SMTPMailer {
	t.Helper()
	opts = append([]Option{WithTLSConfig(srv.TLSConfig()), WithTimeouts(2*time.Second, 5*time.Second)}, opts...)
	m, err := NewSMTP(srv.URL(), from, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPDeliversMultipartOverSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t)
	clock := clockwork.NewFakeClockAt(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	mailer := newMailer(t, srv, WithClock(clock))

	text := "Votre code : 123456\n.a line starting with a dot\n" + strings.Repeat("long ", 40) + "€"
	html := `<p lang="fr">Votre code : <b>123456</b> — à bientôt</p>`
	err := mailer.SendEmail(context.Background(), Email{
		To: "ada@example.com", ToName: "Zoë Ådahl, \"admin\"", Subject: "Votre code — 123456 ✓",
		Text: text, HTML: html,
	})
	if err != nil {
		t.Fatal(err)
	}

	got := srv.WaitFor(t, "ada@example.com", 2*time.Second)
	if got.Err != nil {
		t.Fatalf("server could not parse message: %v", got.Err)
	}
	if !got.TLS || got.Username != "user" {
		t.Errorf("TLS=%v user=%q, want STARTTLS and AUTH as user", got.TLS, got.Username)
	}
	if got.From != "no-reply@portal.example" || len(got.To) != 1 || got.To[0] != "ada@example.com" {
		t.Errorf("envelope from=%q to=%q", got.From, got.To)
	}
	if got.Subject != "Votre code — 123456 ✓" {
		t.Errorf("subject %q", got.Subject)
	}
	if crlfToLF(got.Text) != text || crlfToLF(got.HTML) != html {
		t.Errorf("bodies changed:\ntext %q\nhtml %q", got.Text, got.HTML)
	}
	if ct, _, _ := got.Header.ContentType(); ct != "multipart/alternative" {
		t.Errorf("content type %q", ct)
	}
	if d, err := got.Header.Date(); err != nil || !d.Equal(clock.Now()) {
		t.Errorf("date %v, %v; want %v", d, err, clock.Now())
	}
	if id, err := got.Header.MessageID(); err != nil || !strings.HasSuffix(id, "@portal.example") {
		t.Errorf("message id %q, %v", id, err)
	}
	// RFC 3834: an automatic message says so, so that auto-repliers stay quiet.
	if v := got.Header.Get("Auto-Submitted"); v != "auto-generated" {
		t.Errorf("Auto-Submitted %q, want auto-generated", v)
	}
	if v := got.Header.Get("X-Auto-Response-Suppress"); v != "All" {
		t.Errorf("X-Auto-Response-Suppress %q, want All", v)
	}
	to, err := got.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Zoë Ådahl, \"admin\"" || to[0].Address != "ada@example.com" {
		t.Errorf("To header %v, %v", to, err)
	}
	fromHdr, err := got.Header.AddressList("From")
	if err != nil || len(fromHdr) != 1 || fromHdr[0].Name != "Portal" {
		t.Errorf("From header %v, %v", fromHdr, err)
	}
	head, _, _ := strings.Cut(string(got.Data), "\r\n\r\n")
	for _, r := range head {
		if r > 127 {
			t.Fatalf("raw header has non-ASCII %q; names and subject must be RFC 2047 encoded:\n%s", r, head)
		}
	}
}

// No line of a message goes out longer than 78 octets (RFC 5322 §2.1.1;
// RFC 2047 §2 asks 76 of a line with encoded words): not a long subject or
// name beyond ASCII, which go-message's own encoder left on one line of
// 100 and more, and not a text line longer than that, which quoted-
// printable breaks softly. The reader gets everything back as written.
func TestSMTPKeepsLinesOnTheWireShort(t *testing.T) {
	srv := smtptest.Start(t)
	subject := "123456 ist Ihr Bestätigungscode für Forschungs- und Entwicklungslabore Müller & Söhne"
	name := "Zoë Ådahl-Øvergaard von und zu Hohenzollern-Sigmaringen, \"admin\""
	text := "Grüße " + strings.Repeat("ä", 200) + "\nhttps://id.example.com/v1/verify?token=" + strings.Repeat("x", 120) + "\n"
	html := "<p>" + strings.Repeat("Grüße ", 60) + "</p>"
	for _, subj := range []string{subject, "Your code:" + strings.Repeat(" long", 30)} {
		err := newMailer(t, srv).SendEmail(context.Background(), Email{To: "ada@example.com", ToName: name,
			Subject: subj, Text: text, HTML: html})
		if err != nil {
			t.Fatal(err)
		}
		got := srv.WaitFor(t, "ada@example.com", 2*time.Second)
		if got.Err != nil {
			t.Fatal(got.Err)
		}
		for _, line := range strings.Split(string(got.Data), "\r\n") {
			if len(line) > 78 {
				t.Errorf("a line of %d octets:\n%s", len(line), line)
			}
		}
		to, err := got.Header.AddressList("To")
		if got.Subject != subj || err != nil || len(to) != 1 || to[0].Name != name ||
			crlfToLF(got.Text) != text || crlfToLF(got.HTML) != html {
			t.Errorf("changed on the way: subject %q, to %v (%v)\n%q", got.Subject, to, err, got.Text)
		}
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithImplicitTLS())
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("url %s", srv.URL())
	}
	if err := newMailer(t, srv).SendEmail(context.Background(), Email{To: "b@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "b@example.com", 2*time.Second); !got.TLS || got.Username != "user" {
		t.Errorf("TLS=%v user=%q", got.TLS, got.Username)
	}
}

func TestSMTPPlainToLoopbackWhenNoSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithoutTLS())
	if err := newMailer(t, srv).SendEmail(context.Background(), Email{To: "c@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "c@example.com", 2*time.Second); got.TLS || got.Username != "user" {
		t.Errorf("TLS=%v user=%q; a local relay without TLS should still get AUTH", got.TLS, got.Username)
	}
}

// remote makes a mailer that believes it talks to mail.example.test while
// dialling the test server, so the non-loopback rules apply.
func remote(t *testing.T, srv *smtptest.Server, cfg *tls.Config) *SMTPMailer {
	t.Helper()
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL(), "smtp://user:pass@"), ":")
	m, err := NewSMTP("smtp://user:pass@mail.example.test:"+port, from, WithTLSConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	m.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:"+port)
	}
	return m
}

func TestSMTPRefusesAuthWithoutTLSToRemoteHost(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithoutTLS())
	err := remote(t, srv, nil).SendEmail(context.Background(), Email{To: "d@example.com", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS failure", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages delivered without TLS", n)
	}
}

func TestSMTPUsesSTARTTLSToRemoteHost(t *testing.T) {
	srv := smtptest.Start(t)
	cfg := srv.TLSConfig()
	cfg.ServerName = "127.0.0.1" // the test certificate's name
	if err := remote(t, srv, cfg).SendEmail(context.Background(), Email{To: "e@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "e@example.com", 2*time.Second); !got.TLS {
		t.Error("delivered without TLS")
	}
}

func TestSMTPRejectsUntrustedCertificate(t *testing.T) {
	srv := smtptest.Start(t)
	m, err := NewSMTP(srv.URL(), from) // system roots only
	if err != nil {
		t.Fatal(err)
	}
	err = m.SendEmail(context.Background(), Email{To: "f@example.com", Subject: "s", Text: "t"})
	var certErr *tls.CertificateVerificationError
	if !errors.As(err, &certErr) {
		t.Fatalf("err = %v, want a certificate verification error", err)
	}
}

// REQ-IN-04: values from users never add headers or recipients.
func TestSMTPHeaderInjectionREQIN04(t *testing.T) {
	srv := smtptest.Start(t)
	mailer := newMailer(t, srv)
	ok := Email{To: "victim@example.com", ToName: "Ada", Subject: "Hello", Text: "t", HTML: "<p>t</p>"}

	refused := map[string]func(*Email){
		"to CRLF Bcc":         func(m *Email) { m.To = "victim@example.com\r\nBcc: x@y.com" },
		"to LF Bcc":           func(m *Email) { m.To = "victim@example.com\nBcc: x@y.com" },
		"to two addresses":    func(m *Email) { m.To = "victim@example.com, x@y.com" },
		"to with name":        func(m *Email) { m.To = "Ada <victim@example.com>" },
		"to quoted local":     func(m *Email) { m.To = `"v> NOTIFY=NEVER"@example.com` },
		"subject CRLF Bcc":    func(m *Email) { m.Subject = "Hello\r\nBcc: x@y.com" },
		"subject bare CR":     func(m *Email) { m.Subject = "Hello\rBcc: x@y.com" },
		"subject NEL":         func(m *Email) { m.Subject = "Hello\u0085Bcc: x@y.com" },
		"subject U+2028":      func(m *Email) { m.Subject = "Hello\u2028Bcc: x@y.com" },
		"subject invalid utf": func(m *Email) { m.Subject = "Hello\xff" },
		"name CRLF Bcc":       func(m *Email) { m.ToName = "Ada\r\nBcc: x@y.com" },
		"name NUL":            func(m *Email) { m.ToName = "Ada\x00" },
	}
	for name, mutate := range refused {
		t.Run(name, func(t *testing.T) {
			m := ok
			mutate(&m)
			if err := mailer.SendEmail(context.Background(), m); !errors.Is(err, ErrUnsafeHeader) {
				t.Fatalf("err = %v, want ErrUnsafeHeader", err)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d refused messages reached the server", n)
	}

	// Header-like text without line breaks is just text in an encoded value.
	neutral := []Email{
		{To: "victim@example.com", ToName: `Ada" <root@evil.example>, Bcc: x@y.com`, Subject: "Hello", Text: "t"},
		{To: "victim@example.com", ToName: "Ada", Subject: "Hello Bcc: x@y.com =?utf-8?q?=0D=0ABcc:_x@y.com?=", Text: "t"},
		// Encoded-word look-alikes are encoded, so readers don't decode them into line breaks.
		{To: "victim@example.com", ToName: "=?utf-8?q?Ada=0D=0ABcc:_x@y.com?=", Subject: "Hi", Text: "t"},
		{To: "victim@example.com", ToName: "Ada", Subject: strings.Repeat("Zoë =?utf-8?q?=0D=0A?= ", 8), Text: "t"},
	}
	for _, m := range neutral {
		if err := mailer.SendEmail(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		got := srv.WaitFor(t, "victim@example.com", 2*time.Second)
		if len(got.To) != 1 || got.To[0] != "victim@example.com" {
			t.Errorf("envelope recipients %q", got.To)
		}
		for _, k := range []string{"Bcc", "Cc"} {
			if got.Header.Has(k) {
				t.Errorf("injected %s header: %q", k, got.Header.Get(k))
			}
		}
		to, err := got.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != "victim@example.com" || to[0].Name != m.ToName {
			t.Errorf("To header %v, %v; want one address named %q", to, err, m.ToName)
		}
		if got.Subject != m.Subject {
			t.Errorf("subject %q, want %q", got.Subject, m.Subject)
		}
	}
}

func TestNewSMTPRejectsBadConfig(t *testing.T) {
	for name, c := range map[string]struct{ url, from string }{
		"scheme":       {"http://mail.example.com", from},
		"no host":      {"smtp://", from},
		"bad port":     {"smtp://user:s3cret@mail.example.com:xx", from},
		"from CRLF":    {"smtp://mail.example.com", "a@b.com\r\nBcc: x@y.com"},
		"from invalid": {"smtp://mail.example.com", "not an address"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewSMTP(c.url, c.from)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// silentServer accepts connections and never answers, like a black-holed
// relay.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return "smtp://" + ln.Addr().String()
}

func TestSMTPHonoursContextAndSendTimeout(t *testing.T) {
	url := silentServer(t)
	m, err := NewSMTP(url, from)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = m.SendEmail(ctx, Email{To: "g@example.com", Subject: "s", Text: "t"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want deadline exceeded promptly", err, time.Since(start))
	}

	m, err = NewSMTP(url, from, WithTimeouts(time.Second, 150*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err = m.SendEmail(context.Background(), Email{To: "g@example.com", Subject: "s", Text: "t"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want the send timeout", err, time.Since(start))
	}
}

func TestSMTPWrapsConnectionFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m, err := NewSMTP("smtp://"+addr, from)
	if err != nil {
		t.Fatal(err)
	}
	err = m.SendEmail(context.Background(), Email{To: "h@example.com", Subject: "s", Text: "t"})
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("err = %v, want the dial error wrapped", err)
	}
}

func crlfToLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
