package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// delivered is one request a webhookReceiver got: the URL it was sent to,
// its headers (lower-case names, as Node.js gives them) and its body.
type delivered struct {
	URL     string
	Headers map[string]string
	Body    string
}

// webhookReceiver is an app's webhook endpoint on loopback that keeps
// every delivery the portal sends it.
type webhookReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivered
}

func startWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	r := &webhookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		h := map[string]string{}
		for k := range req.Header {
			h[strings.ToLower(k)] = req.Header.Get(k)
		}
		r.mu.Lock()
		r.got = append(r.got, delivered{URL: "http://" + req.Host + req.URL.Path, Headers: h, Body: string(body)})
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// await returns the first delivery match accepts, waiting up to 10 s for
// it; what names it in the failure.
func (r *webhookReceiver) await(t *testing.T, what string, match func(delivered) bool) delivered {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		for _, d := range r.got {
			if match(d) {
				r.mu.Unlock()
				return d
			}
		}
		r.mu.Unlock()
	}
	t.Fatalf("no %s delivery arrived", what)
	return delivered{}
}
