// Package pwnedtest is a loopback server speaking Have I Been Pwned's
// Pwned Passwords range API (GET /range/{5 hex}, lines SUFFIX:COUNT, padded
// with count-0 lines when asked with Add-Padding: true), recording every
// request, so tests of the breached-password check never reach the
// internet.
package pwnedtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Request is one request the server received.
type Request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   int // bytes of body sent
}

// Server is the fake API.
type Server struct {
	URL string

	mu       sync.Mutex
	counts   map[string]int // upper-case SHA-1 → count (0: a padding line)
	requests []Request
	status   int // non-zero: answer every request with it
}

// Start serves the API on loopback until the test ends. Each password in
// breached is answered as seen 42 times.
func Start(t testing.TB, breached ...string) *Server {
	t.Helper()
	s := &Server{counts: map[string]int{}}
	for _, pw := range breached {
		s.Add(pw, 42)
	}
	h := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(h.Close)
	s.URL = h.URL
	return s
}

// SHA1 is the upper-case hex SHA-1 the API keys passwords by.
func SHA1(password string) string {
	sum := sha1.Sum([]byte(password))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Add lists password with count (0: only as a padding line, which must
// not count as breached).
func (s *Server) Add(password string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[SHA1(password)] = count
}

// Fail makes every answer status (0: answer normally again).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := 0
	if r.ContentLength > 0 {
		n = int(r.ContentLength)
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: n})
	status := s.status
	var lines []string
	prefix, ok := strings.CutPrefix(r.URL.Path, "/range/")
	if ok && len(prefix) == 5 {
		for h, c := range s.counts {
			if h[:5] == prefix {
				lines = append(lines, fmt.Sprintf("%s:%d", h[5:], c))
			}
		}
	}
	s.mu.Unlock()
	if status != 0 {
		http.Error(w, "unavailable", status)
		return
	}
	if !ok || len(prefix) != 5 || strings.ToUpper(prefix) != prefix || strings.Trim(prefix, "0123456789ABCDEF") != "" {
		// The API's own answer to a prefix that is not 5 hex digits.
		http.Error(w, "The hash prefix was not in a valid format", http.StatusBadRequest)
		return
	}
	// Real-looking suffixes of other passwords under the same prefix, and,
	// asked for, padding lines with a count of 0.
	for i := range 3 {
		lines = append(lines, fmt.Sprintf("%s:%d", SHA1(fmt.Sprintf("other-%s-%d", prefix, i))[5:], i+1))
	}
	if r.Header.Get("Add-Padding") == "true" {
		for i := range 5 {
			lines = append(lines, fmt.Sprintf("%s:0", SHA1(fmt.Sprintf("pad-%s-%d", prefix, i))[5:]))
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, strings.Join(lines, "\r\n"))
}
