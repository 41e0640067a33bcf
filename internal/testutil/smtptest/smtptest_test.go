package smtptest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// send delivers a plain-text message without TLS or AUTH. It reports with
// t.Error so it can run in a goroutine.
func send(t *testing.T, s *Server, to, body string) {
	t.Helper()
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Error(err)
		return
	}
	c, err := smtp.Dial(u.Host)
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	msg := "Subject: =?utf-8?q?Caf=C3=A9?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
	if err := c.SendMail("sender@example.com", []string{to}, strings.NewReader(msg)); err != nil {
		t.Error(err)
	}
}

func TestWaitForReturnsNewestUnseen(t *testing.T) {
	s := Start(t)
	send(t, s, "ada@example.com", "first 111111")
	send(t, s, "bob@example.com", "for bob 222222")
	send(t, s, "ada@example.com", "second 333333")

	m := s.WaitFor(t, "ADA@example.com", time.Second)
	if m.Code() != "333333" || m.Subject != "Café" || m.From != "sender@example.com" || m.TLS {
		t.Fatalf("got %+v", m)
	}
	go send(t, s, "ada@example.com", "third 444444 see https://portal.example/v?t=abc.")
	if m := s.WaitFor(t, "ada@example.com", 2*time.Second); m.Code() != "444444" || m.Link() != "https://portal.example/v?t=abc" {
		t.Fatalf("after waiting: code %q link %q", m.Code(), m.Link())
	}
	if m := s.WaitFor(t, "bob@example.com", time.Second); m.Code() != "222222" {
		t.Fatalf("bob: %q", m.Code())
	}
	if n := len(s.Messages()); n != 4 {
		t.Fatalf("%d messages", n)
	}
}

func TestCode(t *testing.T) {
	for text, want := range map[string]string{
		"Your code is 123456.":       "123456",
		"123456":                     "123456",
		"order 1234567 code 654321":  "654321",
		"12345 and 98765":            "",
		"2024-01-02 code:000123 end": "000123",
	} {
		if got := (Message{Text: text}).Code(); got != want {
			t.Errorf("Code(%q) = %q, want %q", text, got, want)
		}
	}
}

// A slowed server counts the messages it takes at the same time: one when
// they come one after another, more when they overlap.
func TestSlowCountsMessagesAtOnce(t *testing.T) {
	s := Start(t)
	s.Slow(200 * time.Millisecond)
	send(t, s, "ada@example.com", "one")
	send(t, s, "bob@example.com", "two")
	if n := s.MostAtOnce(); n != 1 {
		t.Fatalf("one after another: %d at once, want 1", n)
	}
	s.Slow(time.Second) // ample for the three to meet on a busy machine
	done := make(chan struct{})
	for _, to := range []string{"cy@example.com", "dee@example.com", "eve@example.com"} {
		go func() {
			defer func() { done <- struct{}{} }()
			send(t, s, to, "together")
		}()
	}
	for range 3 {
		<-done
	}
	if n := s.MostAtOnce(); n < 2 || n > 3 {
		t.Fatalf("three together: %d at once, want 2 or 3", n)
	}
	if n := len(s.Messages()); n != 5 {
		t.Fatalf("%d messages, want 5", n)
	}
}
