package main

import (
	"context"
	"strings"
	"testing"
	"time"

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

// The paired row reports the middle counted round and the range, and says
// how many rounds were left out for a disturbed timing.
func TestPairedResultReportsTheMedianRound(t *testing.T) {
	pr := pairedResult{ratios: []float64{0.61, 0.79, 0.83}, disturbed: 1,
		singles: []time.Duration{40 * time.Millisecond, 44 * time.Millisecond, 41 * time.Millisecond, 43 * time.Millisecond},
		rates:   []float64{30, 35, 36, 33}}
	r := pr.result("password sign-in, paired rounds")
	if r.measured != "median 79%" || r.bound != "3 rounds: 61%..83%" || r.pass != nil {
		t.Fatalf("row = %+v; want median 79%%, 3 rounds: 61%%..83%%, informational", r)
	}
	s := pr.String()
	for _, want := range []string{"alone it took 40ms..44ms", "30.0..36.0/s", "(1 round(s) left out", "median 79%"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q; want it to contain %q", s, want)
		}
	}
	if r := (pairedResult{singles: []time.Duration{time.Millisecond}}).result("x"); r.measured != "-" {
		t.Errorf("no counted round: measured %q, want -", r.measured)
	}
}

// A missed ratio on a host whose cores alone stay under the target says
// so beside FAIL; a missed ratio the cores could have met is a plain FAIL,
// and the verdict is never turned into a pass.
func TestMissedRatioNamesTheCoresCeiling(t *testing.T) {
	var out strings.Builder
	printTable(&out, []result{
		{metric: "capped", measured: "60%", pass: verdict(false), ceiling: 0.71, need: 0.80},
		{metric: "portal's own", measured: "60%", pass: verdict(false), ceiling: 0.95, need: 0.80},
		{metric: "met", measured: "85%", pass: verdict(true), ceiling: 0.71, need: 0.80},
	})
	lines := strings.Split(out.String(), "\n")
	verdictOf := func(metric string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, metric+" ") {
				f := strings.Fields(l)
				return strings.Join(f[len(f)-min(len(f), 4):], " ")
			}
		}
		t.Fatalf("no row for %q in\n%s", metric, out.String())
		return ""
	}
	if v := verdictOf("capped"); !strings.HasSuffix(v, "FAIL (cores reach 71%)") {
		t.Errorf("capped: %q, want FAIL (cores reach 71%%)", v)
	}
	if v := verdictOf("portal's own"); !strings.HasSuffix(v, "- FAIL") {
		t.Errorf("portal's own miss: %q, want a plain FAIL", v)
	}
	if v := verdictOf("met"); !strings.HasSuffix(v, "PASS") {
		t.Errorf("met: %q, want PASS", v)
	}
	if !strings.Contains(out.String(), "2 target(s) missed.") || !strings.Contains(out.String(), "any server") {
		t.Errorf("footer:\n%s\nwant two missed and the note on the cores' scaling", out.String())
	}
}
