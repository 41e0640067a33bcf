package password

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1" // the range API is keyed by SHA-1; nothing here stores or trusts it
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Pwned Passwords range API (haveibeenpwned.com/API/v3#SearchingPwnedPasswordsByRange):
// k-anonymity, so only the first five hex digits of the password's SHA-1
// leave the process, and the answer lists every known suffix under them.
const (
	DefaultBreachURL = "https://api.pwnedpasswords.com"
	// BreachTimeout bounds one lookup: a person is waiting for the form.
	BreachTimeout = 2 * time.Second
	// maxRangeBytes caps the answer read. A padded range is 800–1,000 lines
	// of 35 hex digits, a colon and a count (about 40 KB); a mirror serving
	// more than this is not speaking the API.
	maxRangeBytes = 512 << 10
	// breachWarnEvery is how often a failing lookup is logged at most, so
	// an unreachable service does not fill the log, one line per password.
	breachWarnEvery = time.Minute
	userAgent       = "Portal-PasswordCheck/1 (+https://github.com/portalhq/portal)"
)

// Breaches looks passwords up in Have I Been Pwned's Pwned Passwords, or a
// mirror that answers its range API, to refuse a password seen in a data
// breach (REQ-PW-05, ASVS 6.2.12). It fails open: when the lookup fails
// (network, timeout, an answer that is not the API's) the password counts
// as not breached and a warning is logged, at most once a minute. Neither
// the password nor its hash is ever logged. Safe for concurrent use.
type Breaches struct {
	URL     string        // base URL; "" = DefaultBreachURL
	Client  *http.Client  // nil = http.DefaultClient (Timeout bounds each lookup)
	Timeout time.Duration // 0 = BreachTimeout
	Log     *slog.Logger  // nil = slog.Default()

	mu         sync.Mutex
	lastWarn   time.Time
	suppressed int
}

// Breached reports whether password appears in a breach. It is false when
// the lookup fails (fail open, logged).
func (b *Breaches) Breached(ctx context.Context, password string) bool {
	n, err := b.Count(ctx, password)
	if err != nil {
		if ctx.Err() == nil || errors.Is(err, context.DeadlineExceeded) {
			b.warn(err)
		}
		return false
	}
	return n > 0
}

// Count returns how many times password was seen in breaches (0: never),
// or an error when the lookup failed. The password is NFC-normalised
// first, as it is for hashing (REQ-PW-02).
func (b *Breaches) Count(ctx context.Context, password string) (int, error) {
	sum := sha1.Sum([]byte(norm.NFC.String(password)))
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := digest[:5], digest[5:]
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = BreachTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	base := b.URL
	if base == "" {
		base = DefaultBreachURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/range/"+prefix, nil)
	if err != nil {
		return 0, err
	}
	// Padding hides, from whoever watches the wire, which prefix was asked
	// for by the answer's size; padded lines have a count of 0.
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", userAgent)
	client := b.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// Without the URL: its last part is the hash's prefix, which the
		// log has no need of.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s range API: %w", ue.Op, ue.Err)
		}
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return 0, fmt.Errorf("range API answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRangeBytes+1))
	if err != nil {
		return 0, err
	}
	if len(body) > maxRangeBytes {
		return 0, fmt.Errorf("range API answer over %d bytes", maxRangeBytes)
	}
	return countIn(body, suffix)
}

// countIn finds suffix in a range answer: lines SUFFIX:COUNT, 35 upper-case
// hex digits and a decimal count. Any other line makes the whole answer
// suspect, so it is an error rather than a guess.
func countIn(body []byte, suffix string) (int, error) {
	found, lines := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		s, c, ok := strings.Cut(line, ":")
		n, err := strconv.Atoi(c)
		if !ok || len(s) != 35 || !isHex(s) || err != nil || n < 0 {
			return 0, fmt.Errorf("range API answer line %d is not SUFFIX:COUNT", lines+1)
		}
		lines++
		if strings.EqualFold(s, suffix) {
			found = n // padding has count 0: not breached
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if lines == 0 {
		return 0, errors.New("range API answer is empty")
	}
	return found, nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'A' <= r && r <= 'F' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// warn logs a failed lookup, at most once per breachWarnEvery, with the
// number of failures not logged since.
func (b *Breaches) warn(err error) {
	b.mu.Lock()
	now := time.Now()
	if !b.lastWarn.IsZero() && now.Sub(b.lastWarn) < breachWarnEvery {
		b.suppressed++
		b.mu.Unlock()
		return
	}
	quiet := b.suppressed
	b.lastWarn, b.suppressed = now, 0
	b.mu.Unlock()
	log := b.Log
	if log == nil {
		log = slog.Default()
	}
	base := b.URL
	if u, err := url.Parse(base); err == nil {
		base = u.Redacted() // a mirror's URL may hold a password
	}
	log.Warn("breached-password check failed; the password was accepted (fails open)", "err", err,
		"url", base, "failures_not_logged", quiet)
}
