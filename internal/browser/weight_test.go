package browser

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// signInBudget is what /sign-in may weigh on the wire, CSS included.
const signInBudget = 40_000

// TestSignInIsLightAndSelfContained loads /sign-in cold (empty cache), as
// a person on a slow line first sees it, and adds up the bytes that cross
// the wire for the page and everything it loads, headers included: at
// most 40 KB. Text arrives gzipped, and nothing comes from anywhere but
// the portal — no fonts, scripts or CDNs, so it works on an intranet
// cut off from the internet.
func TestSignInIsLightAndSelfContained(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("browser test: `make unit` (-short) leaves it out; `make test` runs it")
	}
	b := openTab(t, testTimeout)
	p := portaltest.Start(t, portaltest.Options{})
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.fatalf("disable the cache: %v", err)
	}
	log := &wireLog{reqs: map[network.RequestID]*wireRequest{}}
	if err := chromedp.Listen(b.ctx, log.event); err != nil {
		b.fatalf("listen to the network: %v", err)
	}

	b.open(p.URL + "/sign-in")
	reqs := log.settled(t, 5*time.Second)

	total := int64(0)
	var lines []string
	for _, r := range reqs {
		total += r.bytes
		lines = append(lines, fmt.Sprintf("%6d B  %-8s %-24s %s", r.bytes, r.encoding, r.mime, r.url))
		if !sameOrigin(r.url, p.URL) {
			t.Errorf("/sign-in loaded %s: everything must come from the portal itself", r.url)
		}
		if r.failed != "" {
			t.Errorf("%s failed: %s", r.url, r.failed)
		}
		// The passkey options fetched by script count in the budget but are
		// not held to gzip: the page's own document, styles and scripts are.
		if compressed(r.mime) && r.mime != "application/json" && r.encoding != "gzip" {
			t.Errorf("%s (%s) arrived with Content-Encoding %q, want gzip", r.url, r.mime, r.encoding)
		}
	}
	report := strings.Join(lines, "\n")
	if len(reqs) < 3 || !slices.ContainsFunc(reqs, func(r *wireRequest) bool { return r.mime == "text/css" }) {
		t.Fatalf("want the page and its stylesheets, got:\n%s", report)
	}
	if total > signInBudget {
		t.Errorf("/sign-in weighs %d bytes on a cold load, want at most %d:\n%s", total, signInBudget, report)
	}
	t.Logf("/sign-in, cold: %d bytes in %d requests\n%s", total, len(reqs), report)
}

// compressed are the types that must arrive gzipped: the page, its
// stylesheets and scripts (the icon is too small to gain from it).
func compressed(mime string) bool {
	return strings.HasPrefix(mime, "text/") || mime == "application/javascript" || mime == "application/json"
}

// wireLog follows every request of a tab from its start to its last byte.
type wireLog struct {
	mu   sync.Mutex
	reqs map[network.RequestID]*wireRequest
	seq  []network.RequestID
}

type wireRequest struct {
	url, mime, encoding, failed string
	bytes                       int64 // encoded, on the wire
	done                        bool
}

// event runs on the tab's event loop: it records and returns at once.
func (l *wireLog) event(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if _, ok := l.reqs[e.RequestID]; !ok {
			l.seq = append(l.seq, e.RequestID)
		}
		l.reqs[e.RequestID] = &wireRequest{url: e.Request.URL}
	case *network.EventResponseReceived:
		if r := l.reqs[e.RequestID]; r != nil {
			r.mime = e.Response.MimeType
			for k, v := range e.Response.Headers {
				if strings.EqualFold(k, "Content-Encoding") {
					r.encoding = fmt.Sprint(v)
				}
			}
		}
	case *network.EventLoadingFinished:
		if r := l.reqs[e.RequestID]; r != nil {
			r.bytes, r.done = int64(e.EncodedDataLength), true
		}
	case *network.EventLoadingFailed:
		if r := l.reqs[e.RequestID]; r != nil {
			r.failed, r.done = e.ErrorText, true
		}
	}
}

// settled waits until every request seen so far has finished, and a
// moment more passes with no new one, then returns them in order.
func (l *wireLog) settled(t *testing.T, timeout time.Duration) []*wireRequest {
	t.Helper()
	deadline := time.Now().Add(timeout)
	quiet := 0
	for time.Now().Before(deadline) {
		l.mu.Lock()
		open := 0
		for _, r := range l.reqs {
			if !r.done {
				open++
			}
		}
		l.mu.Unlock()
		if open == 0 {
			if quiet++; quiet == 5 {
				l.mu.Lock()
				defer l.mu.Unlock()
				out := make([]*wireRequest, 0, len(l.seq))
				for _, id := range l.seq {
					out = append(out, l.reqs[id])
				}
				return out
			}
		} else {
			quiet = 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("requests still open after %v", timeout)
	return nil
}
