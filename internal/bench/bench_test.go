package main

import (
	"context"
	"strings"
	"testing"

	"github.com/portalhq/portal/views"
)

// The bench reads sign-up codes from /dev/outbox; if the page's markup
// changes, this fails here rather than halfway through `make bench`.
func TestCodeForReadsTheRenderedOutbox(t *testing.T) {
	subject := func(code string) string {
		return views.CodeEmailSubject(views.CodeEmail{Email: views.Email{AppName: "Portal"}, Code: code})
	}
	page := views.OutboxPage(views.Outbox{Page: views.Page{Title: "Outbox", AppName: "Portal"}, Items: []views.OutboxItem{
		{ID: "m3", Channel: "email", To: "bench0002@example.com", Subject: subject("333333"), Text: "333333", HTMLURL: "/dev/outbox/m3/html"},
		{ID: "m2", Channel: "email", To: "bench0001@example.com", Subject: subject("222222"), Text: "222222", HTMLURL: "/dev/outbox/m2/html"},
		{ID: "m1", Channel: "email", To: "bench0001@example.com", Subject: subject("111111"), Text: "111111", HTMLURL: "/dev/outbox/m1/html"},
	}})
	var b strings.Builder
	if err := page.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if code, ok := codeFor(b.String(), "bench0001@example.com"); !ok || code != "222222" {
		t.Fatalf("codeFor = %q, %v; want the newest code 222222", code, ok)
	}
	if _, ok := codeFor(b.String(), "nobody@example.com"); ok {
		t.Fatal("found a code for an address with no message")
	}
}
