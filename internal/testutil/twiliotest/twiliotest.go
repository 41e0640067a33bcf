// Package twiliotest runs an in-process recorder for Twilio's Messages API,
// so tests send text messages through the real Twilio client and read them
// back.
package twiliotest

import (
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Message is one text message the server accepted.
type Message struct {
	SID  string // SM…
	To   string
	From string
	Body string
}

var codeRE = regexp.MustCompile(`(?:^|[^0-9])([0-9]{6})(?:[^0-9]|$)`)

// Code returns the first run of exactly six digits in the body, or "".
func (m Message) Code() string {
	if s := codeRE.FindStringSubmatch(m.Body); s != nil {
		return s[1]
	}
	return ""
}

// Server is a running fake of api.twilio.com's Messages endpoint.
type Server struct {
	srv        *httptest.Server
	sid, token string
	closing    chan struct{}

	mu       sync.Mutex
	msgs     []Message
	seen     map[string]int // To → len(msgs) when WaitFor last returned for it
	arrived  chan struct{}  // closed and replaced on every new message
	failures []apiError     // answered, in order, instead of accepting
	stalls   int            // requests to leave unanswered
}

// apiError is the JSON body Twilio sends with every error status.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Start runs a server on 127.0.0.1 until the test ends. It accepts requests
// authenticated as accountSID:authToken.
func Start(t testing.TB, accountSID, authToken string) *Server {
	t.Helper()
	s := &Server{
		sid: accountSID, token: authToken,
		closing: make(chan struct{}),
		seen:    map[string]int{},
		arrived: make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.closing) // releases stalled requests, which Close waits for
		s.srv.Close()
	})
	return s
}

// URL returns http://127.0.0.1:PORT, to use as the client's API base URL.
func (s *Server) URL() string { return s.srv.URL }

// Messages returns every accepted message, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// WaitFor returns the newest message to the number to that arrived after
// the previous WaitFor for that number returned, waiting up to timeout.
// Older unreturned messages to the same number are skipped, so after
// "resend code" a test gets the latest code. It fails the test on timeout.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	to = strings.TrimSpace(to)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for i := len(s.msgs) - 1; i >= s.seen[to]; i-- {
			if s.msgs[i].To == to {
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
			t.Fatalf("twiliotest: no new message to %s within %v", to, timeout)
			return Message{}
		}
	}
}

// FailNext makes the next well-formed, authenticated request fail with the
// given HTTP status and Twilio error code and message, as Twilio reports an
// unreachable number (400, 21211), a rate limit (429, 20429) or an outage
// (500, 0). A status outside 400–599 means 500. Calls queue up: each
// answers one request.
func (s *Server) FailNext(status, code int, message string) {
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, apiError{
		Code: code, Message: message, Status: status, MoreInfo: moreInfo(code),
	})
}

// StallNext makes the server hold the next request without answering until
// the client gives up, to test timeouts.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stalls++
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.takeStall() {
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	sid, ok := strings.CutPrefix(r.URL.Path, "/2010-04-01/Accounts/")
	sid, ok2 := strings.CutSuffix(sid, "/Messages.json")
	if !ok || !ok2 || sid == "" || strings.Contains(sid, "/") {
		writeError(w, apiError{Status: 404, Code: 20404,
			Message: fmt.Sprintf("The requested resource %s was not found", r.URL.Path)})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, apiError{Status: 405, Code: 20004, Message: "Method not allowed"})
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || !equal(user, s.sid) || !equal(pass, s.token) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, apiError{Status: 401, Code: 20003, Message: "Authentication Error - invalid username or password"})
		return
	}
	if sid != s.sid {
		writeError(w, apiError{Status: 404, Code: 20404,
			Message: fmt.Sprintf("The requested resource %s was not found", r.URL.Path)})
		return
	}
	m, apiErr := s.read(w, r)
	if apiErr != nil {
		writeError(w, *apiErr)
		return
	}
	if f, ok := s.takeFailure(); ok {
		writeError(w, f)
		return
	}
	m.SID = newSID()
	s.add(m)
	writeJSON(w, http.StatusCreated, s.resource(m))
}

// read checks the form as Twilio does, with a hint for the developer where
// Twilio's own message would puzzle.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (Message, *apiError) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	hint := ""
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		// Twilio reads only form bodies, so a JSON body looks empty to it.
		hint = fmt.Sprintf(" (twiliotest: Content-Type is %q, want application/x-www-form-urlencoded)",
			r.Header.Get("Content-Type"))
	} else if err := r.ParseForm(); err != nil {
		return Message{}, &apiError{Status: 400, Code: 20001, Message: "Could not parse the request body: " + err.Error()}
	}
	m := Message{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body")}
	switch {
	case m.To == "":
		return m, &apiError{Status: 400, Code: 21604, Message: "A 'To' phone number is required." + hint}
	case m.From == "":
		return m, &apiError{Status: 400, Code: 21603, Message: "A 'From' phone number is required."}
	case m.Body == "":
		return m, &apiError{Status: 400, Code: 21602, Message: "Message body is required."}
	case !e164.MatchString(m.To):
		return m, &apiError{Status: 400, Code: 21211, Message: fmt.Sprintf("Invalid 'To' Phone Number: %s", m.To)}
	case utf8.RuneCountInString(m.Body) > 1600:
		return m, &apiError{Status: 400, Code: 21617, Message: "The concatenated message body exceeds the 1600 character limit."}
	}
	return m, nil
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func (s *Server) takeStall() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stalls == 0 {
		return false
	}
	s.stalls--
	return true
}

func (s *Server) takeFailure() (apiError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) == 0 {
		return apiError{}, false
	}
	f := s.failures[0]
	s.failures = s.failures[1:]
	return f, true
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}
