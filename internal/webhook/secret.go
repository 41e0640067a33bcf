package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/apperr"
)

const (
	secretPrefix = "whsec_"
	// Standard Webhooks asks for 24 to 64 random bytes (REQ-WH-02).
	secretMinBytes = 24
	secretMaxBytes = 64
	secretBytes    = 32
)

// NewSecret returns a fresh signing secret, whsec_ and the base64 of 32
// random bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("webhook: reading random bytes: " + err.Error())
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ErrBadSecret explains the form a configured or supplied secret must have.
var ErrBadSecret = apperr.Field(apperr.Invalid, "secret",
	"A webhook secret is whsec_ followed by the base64 of 24 to 64 random bytes.")

// ParseSecret returns the key bytes of a whsec_ secret.
func ParseSecret(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) < secretMinBytes || len(key) > secretMaxBytes {
		return nil, ErrBadSecret
	}
	return key, nil
}

// signature is "v1," and the base64 HMAC-SHA256 of "id.timestamp.body"
// (REQ-WH-01).
func signature(key []byte, msgID string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signedHeaders are the headers of one attempt, under both the Svix names
// and the Standard Webhooks names, so receivers using either library verify
// it. keys holds the current key first and, during a rotation, the previous
// one: both signatures are sent, space-separated (REQ-WH-04).
func signedHeaders(keys [][]byte, msgID string, ts time.Time, body []byte) http.Header {
	sigs := make([]string, 0, len(keys))
	for _, k := range keys {
		sigs = append(sigs, signature(k, msgID, ts, body))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	for _, prefix := range []string{"svix-", "webhook-"} {
		h.Set(prefix+"id", msgID)
		h.Set(prefix+"timestamp", strconv.FormatInt(ts.Unix(), 10))
		h.Set(prefix+"signature", strings.Join(sigs, " "))
	}
	return h
}
