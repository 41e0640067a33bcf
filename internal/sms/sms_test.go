package sms_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/sms"
)

// The body and recipient rules, checked through the dev outbox since both
// senders share them.
func TestMessageRules(t *testing.T) {
	tests := []struct {
		name     string
		m        sms.Message
		ok       bool
		wantBody string
	}{
		{"plain", sms.Message{To: ada, Body: "Code 123456"}, true, "Code 123456"},
		{"LF kept", sms.Message{To: ada, Body: "a\nb"}, true, "a\nb"},
		{"CRLF becomes LF", sms.Message{To: ada, Body: "a\r\nb"}, true, "a\nb"},
		{"exactly 1600 characters", sms.Message{To: ada, Body: strings.Repeat("é", 1600)}, true, strings.Repeat("é", 1600)},
		{"1601 characters", sms.Message{To: ada, Body: strings.Repeat("x", 1601)}, false, ""},
		{"empty body", sms.Message{To: ada, Body: ""}, false, ""},
		{"blank body", sms.Message{To: ada, Body: " \n "}, false, ""},
		{"lone CR", sms.Message{To: ada, Body: "a\rb"}, false, ""},
		{"tab", sms.Message{To: ada, Body: "a\tb"}, false, ""},
		{"escape sequence", sms.Message{To: ada, Body: "\x1b[31mred"}, false, ""},
		{"C1 control", sms.Message{To: ada, Body: "a\u0085b"}, false, ""},
		{"line separator", sms.Message{To: ada, Body: "a\u2028b"}, false, ""},
		{"invalid UTF-8", sms.Message{To: ada, Body: "a\xffb"}, false, ""},
		{"national number", sms.Message{To: "4155550100", Body: "hi"}, false, ""},
		{"formatted number", sms.Message{To: "+1 415 555 0100", Body: "hi"}, false, ""},
		{"number with LF", sms.Message{To: ada + "\n", Body: "hi"}, false, ""},
		{"16 digits", sms.Message{To: "+1234567890123456", Body: "hi"}, false, ""},
		{"leading zero country", sms.Message{To: "+0123456789", Body: "hi"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &notify.MemoryOutbox{}
			err := sms.NewDevOutbox(store, slog.New(slog.DiscardHandler), clockwork.NewFakeClock()).
				SendSMS(context.Background(), tt.m)
			if !tt.ok {
				if !errors.Is(err, sms.ErrInvalidMessage) {
					t.Fatalf("got %v, want ErrInvalidMessage", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := store.List()[0].Text; got != tt.wantBody {
				t.Errorf("body %q, want %q", got, tt.wantBody)
			}
		})
	}
}
