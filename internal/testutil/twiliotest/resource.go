package twiliotest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// resource assigns m a SID and returns the Message resource Twilio answers
// a create with.
func (s *Server) resource(m Message) map[string]any {
	now := time.Now().UTC().Format(time.RFC1123Z)
	uri := "/2010-04-01/Accounts/" + s.sid + "/Messages/" + m.SID
	return map[string]any{
		"sid":                   m.SID,
		"account_sid":           s.sid,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          now,
		"date_updated":          now,
		"date_sent":             nil,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  m.From,
		"messaging_service_sid": nil,
		"num_media":             "0",
		"num_segments":          strconv.Itoa(segments(m.Body)),
		"price":                 nil,
		"price_unit":            "USD",
		"status":                "queued",
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	}
}

// segments estimates how many SMS parts the body takes: 160 characters in
// one part, 153 per part when split; 70 and 67 once a character needs
// UCS-2 (ASCII stands in for the GSM alphabet here).
func segments(body string) int {
	single, multi := 160, 153
	for _, r := range body {
		if r >= utf8.RuneSelf {
			single, multi = 70, 67
			break
		}
	}
	n := utf8.RuneCountInString(body)
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

func newSID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "SM" + hex.EncodeToString(b)
}

func moreInfo(code int) string {
	if code == 0 {
		return ""
	}
	return "https://www.twilio.com/docs/errors/" + strconv.Itoa(code)
}

func writeError(w http.ResponseWriter, e apiError) {
	if e.MoreInfo == "" {
		e.MoreInfo = moreInfo(e.Code)
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
