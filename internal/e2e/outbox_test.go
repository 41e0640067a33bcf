package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// The development outbox shows an email's HTML part as well as its text:
// the page frames it, sandboxed, from a route that serves the HTML as
// sent, its links made to open in a new tab, under a policy that runs
// nothing, fetches nothing but images and lets only the portal frame it
// (REQ-HDR-01); the sandbox lets a link open a tab of its own and nothing
// else. Development only: an instance that sends over SMTP has neither
// the page nor the route.
func TestDevOutboxShowsTheHTMLPart_REQ_HDR_01(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{DevOutbox: true})
	b := newBrowser(t, p)
	verify := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
	if verify.Status != http.StatusOK {
		t.Fatalf("sign-up: status %d:\n%s", verify.Status, verify.text())
	}
	ctx := context.Background()
	msgs, err := p.Store.Q.ListOutbox(ctx, 10)
	if err != nil || len(msgs) != 1 || msgs[0].HTML == "" {
		t.Fatalf("outbox %+v, %v; want the sign-up code's email", msgs, err)
	}
	sent := msgs[0]
	sms := notify.OutboxMessage{ID: id.New(id.Message), Channel: notify.ChannelSMS, To: "+14155550100",
		Text: "123456", CreatedAt: time.Now()}
	if err := p.Store.Q.SaveOutbox(ctx, sms); err != nil {
		t.Fatal(err)
	}

	outbox := b.get("/dev/outbox")
	if outbox.Status != http.StatusOK {
		t.Fatalf("/dev/outbox: status %d", outbox.Status)
	}
	row := outbox.Doc.Find("tr#" + sent.ID + " + tr")
	frame := row.Find("details iframe")
	src := frame.AttrOr("src", "")
	if sandbox, ok := frame.Attr("sandbox"); !ok || sandbox != "allow-popups allow-popups-to-escape-sandbox" || src != "/dev/outbox/"+sent.ID+"/html" {
		t.Fatalf("the email's HTML part is not framed, sandboxed: sandbox %q (%v), src %q", sandbox, ok, src)
	}
	if !strings.Contains(row.Find("pre").Text(), sent.Text[:20]) {
		t.Errorf("the text part is gone from the outbox: %q", row.Find("pre").Text())
	}
	if outbox.Doc.Find("tr#"+sms.ID+" + tr iframe").Length() != 0 {
		t.Error("a text message is framed as HTML")
	}

	pg := b.getRaw(src)
	head := strings.Index(sent.HTML, "<head>") + len("<head>")
	if want := sent.HTML[:head] + `<base target="_blank">` + sent.HTML[head:]; pg.Status != http.StatusOK || pg.Body != want {
		t.Fatalf("%s: status %d, the body is not the HTML as sent with links opening a new tab:\n%s", src, pg.Status, pg.Body)
	}
	wantSecurityHeaders(t, "GET "+src, "/dev/outbox/:id/html", false, pg.Status, pg.Header, pg.Body)
	csp := map[string]string{}
	for _, d := range strings.Split(pg.Header.Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		csp[name] = value
	}
	for name, want := range map[string]string{"default-src": "'none'", "style-src": "'unsafe-inline'",
		"img-src": "data: https:", "form-action": "'none'", "base-uri": "'none'", "frame-ancestors": "'self'",
		"sandbox": "allow-popups allow-popups-to-escape-sandbox"} {
		if got, ok := csp[name]; !ok || got != want {
			t.Errorf("CSP %s = %q (%v), want %q in %q", name, got, ok, want, pg.Header.Get("Content-Security-Policy"))
		}
	}
	if xfo, rp := pg.Header.Get("X-Frame-Options"), pg.Header.Get("Referrer-Policy"); xfo != "SAMEORIGIN" || rp != "no-referrer" {
		t.Errorf("X-Frame-Options %q, Referrer-Policy %q", xfo, rp)
	}
	for _, path := range []string{"/dev/outbox/" + sms.ID + "/html", "/dev/outbox/" + id.New(id.Message) + "/html", "/dev/outbox/x/html"} {
		if pg := b.getRaw(path); pg.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, pg.Status)
		}
	}

	smtp := portaltest.Start(t, portaltest.Options{})
	for _, path := range []string{"/dev/outbox", src} {
		if pg := newBrowser(t, smtp).getRaw(path); pg.Status != http.StatusNotFound {
			t.Errorf("%s with SMTP configured: status %d, want 404", path, pg.Status)
		}
	}
}
