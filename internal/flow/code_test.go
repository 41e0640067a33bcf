package flow_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
)

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// REQ-OTP-01: codes are six decimal digits from a CSPRNG; REQ-OTP-05: only
// a keyed hash of each is stored.
func TestCodeFormatAndStorage_REQ_OTP_01_REQ_OTP_05(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		seen := map[string]bool{}
		for i := range 50 {
			flowID := "sia_format" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			code := f.mustIssue(t, flowID, flow.EmailCode, "ada@example.com", "")
			if !sixDigits.MatchString(code) {
				t.Fatalf("code %q is not six digits", code)
			}
			seen[code] = true
			v, err := f.st.Q.LatestVerification(t.Context(), flowID, flow.EmailCode)
			if err != nil || v == nil {
				t.Fatalf("LatestVerification = %v, %v", v, err)
			}
			// (Not "does not contain the code": 64 hex digits hold some six
			// decimal ones now and then.)
			raw, err := hex.DecodeString(v.SecretHash)
			plain := sha256.Sum256([]byte(code))
			if err != nil || len(raw) != 32 || v.SecretHash == hex.EncodeToString(plain[:]) {
				t.Fatalf("stored secret %q for code %s is not a keyed 256-bit hash of it", v.SecretHash, code)
			}
		}
		// 50 draws from a million values: a repeat is a 0.1 % event, more
		// than one means the codes are not random.
		if len(seen) < 49 {
			t.Errorf("%d distinct codes in 50", len(seen))
		}
	})
}

// REQ-OTP-02: a code works until ten minutes after it was sent, and not at
// ten minutes.
func TestCodeExpiresAtTenMinutes_REQ_OTP_02(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		early := f.mustIssue(t, "sia_early", flow.EmailCode, "ada@example.com", "")
		late := f.mustIssue(t, "sia_late", flow.EmailCode, "ada@example.com", "")

		f.clock.Advance(flow.CodeTTL - time.Millisecond)
		if err := f.check(t, "sia_early", flow.EmailCode, early); err != nil {
			t.Errorf("right code 1 ms before ten minutes: %v", err)
		}
		f.clock.Advance(time.Millisecond)
		wantErr(t, "right code at ten minutes", f.check(t, "sia_late", flow.EmailCode, late),
			apperr.Expired, "This code has expired")
	})
}

// REQ-OTP-03: a code works once, even when the same right code is submitted
// by 20 requests at the same moment.
func TestCodeSingleUse_REQ_OTP_03(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		code := f.mustIssue(t, "sia_once", flow.EmailCode, "ada@example.com", "")
		errs := race(20, func() error { return f.check(t, "sia_once", flow.EmailCode, code) })
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.CodeOf(err) != apperr.Expired:
				t.Errorf("a losing submission failed with %v, want 'already used'", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of 20 concurrent submissions of one code succeeded, want 1", ok)
		}
		wantErr(t, "the code again", f.check(t, "sia_once", flow.EmailCode, code), apperr.Expired, "already used")
	})
}

// REQ-OTP-03: a code belongs to its flow and strategy, and a new code
// replaces the previous one.
func TestCodeBoundToFlow_REQ_OTP_03(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		code := f.mustIssue(t, "sia_mine", flow.EmailCode, "ada@example.com", "")
		f.mustIssue(t, "sia_theirs", flow.EmailCode, "eve@example.com", "")

		wantErr(t, "code of another flow", f.check(t, "sia_theirs", flow.EmailCode, code), apperr.Invalid, "incorrect")
		wantErr(t, "code for another strategy", f.check(t, "sia_mine", flow.PhoneCode, code), apperr.Invalid, "No code was sent")

		f.clock.Advance(flow.ResendAfter)
		fresh := f.mustIssue(t, "sia_mine", flow.EmailCode, "ada@example.com", "")
		if fresh == code { // one in a million: draw again rather than flake
			f.clock.Advance(flow.ResendAfter)
			fresh = f.mustIssue(t, "sia_mine", flow.EmailCode, "ada@example.com", "")
		}
		wantErr(t, "the superseded code", f.check(t, "sia_mine", flow.EmailCode, code), apperr.Invalid, "incorrect")
		if err := f.check(t, "sia_mine", flow.EmailCode, fresh); err != nil {
			t.Errorf("the new code: %v", err)
		}
	})
}

// REQ-OTP-04: five wrong tries and the code is dead, right or not;
// malformed input counts as a try.
func TestCodeAttemptLimit_REQ_OTP_04(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		code := f.mustIssue(t, "sia_guess", flow.EmailCode, "ada@example.com", "")
		for _, guess := range []string{otherCode(code), "12345", "abcdef", otherCode(otherCode(code)), code + "0"} {
			wantErr(t, "wrong code "+guess, f.check(t, "sia_guess", flow.EmailCode, guess), apperr.Invalid, "incorrect")
		}
		wantErr(t, "right code after five wrong", f.check(t, "sia_guess", flow.EmailCode, code),
			apperr.Expired, "Too many incorrect attempts")

		// Four slips still leave the fifth try for the right code.
		sms := f.mustIssue(t, "sia_slips", flow.PhoneCode, "+14155550100", "")
		for range flow.MaxAttempts - 1 {
			wantErr(t, "wrong texted code", f.check(t, "sia_slips", flow.PhoneCode, otherCode(sms)),
				apperr.Invalid, "Check the latest text message")
		}
		if err := f.check(t, "sia_slips", flow.PhoneCode, sms); err != nil {
			t.Errorf("right code on the fifth try: %v", err)
		}
	})
}

// REQ-OTP-04, REQ-IN-10: guesses fired in parallel get no more tries than
// guesses fired one by one.
func TestCodeAttemptLimitUnderRace_REQ_OTP_04(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		code := f.mustIssue(t, "sia_guess", flow.EmailCode, "ada@example.com", "")
		errs := race(20, func() error { return f.check(t, "sia_guess", flow.EmailCode, otherCode(code)) })
		counted := 0
		for _, err := range errs {
			if err == nil {
				t.Fatal("a wrong code was accepted")
			}
			if e, _ := apperr.As(err); e != nil && strings.Contains(e.Message, "That code is incorrect") {
				counted++
			}
		}
		if counted > flow.MaxAttempts {
			t.Errorf("%d wrong guesses were judged, want at most %d", counted, flow.MaxAttempts)
		}
		wantErr(t, "right code after the race", f.check(t, "sia_guess", flow.EmailCode, code),
			apperr.Expired, "Too many incorrect attempts")
	})
}

// REQ-OTP-04: the right code hidden among a burst of parallel guesses is
// accepted only if it is within the five tries; a burst must not buy more
// tries than the store counts.
func TestCodeRightGuessInBurst_REQ_OTP_04(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		for round := range 5 {
			flowID := fmt.Sprintf("sia_burst%d", round)
			code := f.mustIssue(t, flowID, flow.EmailCode, "ada@example.com", "")
			const n = 30
			judged := 0
			guesses := make(chan string, n)
			for i := range n - 1 {
				guesses <- fmt.Sprintf("%06d", (mustAtoi(t, code)+1+i)%1_000_000)
			}
			guesses <- code
			close(guesses)
			errs := race(n, func() error { return f.check(t, flowID, flow.EmailCode, <-guesses) })
			won := false
			for _, err := range errs {
				if err == nil {
					won = true
					judged++
				} else if e, _ := apperr.As(err); e != nil && strings.Contains(e.Message, "That code is incorrect") {
					judged++
				}
			}
			if judged > flow.MaxAttempts {
				t.Errorf("round %d: %d of %d parallel guesses were judged (right one accepted: %v), want at most %d",
					round, judged, n, won, flow.MaxAttempts)
			}
		}
	})
}

// REQ-OTP-10: a new code for the same flow waits 30 seconds, and the
// refusal says how long is left.
func TestResendCooldown_REQ_OTP_10(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		f.mustIssue(t, "sia_wait", flow.PhoneCode, "+14155550100", "")

		f.clock.Advance(10 * time.Second)
		_, err := f.issue(t, "sia_wait", flow.PhoneCode, "+14155550100", "")
		wantErr(t, "resend after 10 s", err, apperr.RateLimited, "in 20 seconds")
		f.clock.Advance(19*time.Second + 500*time.Millisecond)
		_, err = f.issue(t, "sia_wait", flow.PhoneCode, "+14155550100", "")
		wantErr(t, "resend after 29.5 s", err, apperr.RateLimited, "in 1 second.")

		// The same flow may send by another strategy meanwhile.
		if _, err := f.issue(t, "sia_wait", flow.EmailCode, "ada@example.com", ""); err != nil {
			t.Errorf("email code while the text cools down: %v", err)
		}
		f.clock.Advance(500 * time.Millisecond)
		if _, err := f.issue(t, "sia_wait", flow.PhoneCode, "+14155550100", ""); err != nil {
			t.Errorf("resend after 30 s: %v", err)
		}
	})
}

// REQ-OTP-01, REQ-OTP-05: a link token carries 256 random bits and only
// its SHA-256 is stored.
func TestLinkTokenFormatAndStorage_REQ_OTP_01_REQ_OTP_05(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		tok := f.mustIssueLink(t, "sia_link", "ada@example.com")
		if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q: want 43 URL-safe characters (256 bits)", tok)
		}
		v, err := f.st.Q.LatestVerification(t.Context(), "sia_link", flow.EmailLink)
		if err != nil || v == nil {
			t.Fatalf("LatestVerification = %v, %v", v, err)
		}
		sum := sha256.Sum256([]byte(tok))
		if v.SecretHash != hex.EncodeToString(sum[:]) {
			t.Errorf("stored %q, want the token's SHA-256", v.SecretHash)
		}
	})
}

// REQ-OTP-02: a link works until ten minutes after it was sent, for a look
// and for use alike.
func TestLinkExpiresAtTenMinutes_REQ_OTP_02(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		early := f.mustIssueLink(t, "sia_early", "ada@example.com")
		late := f.mustIssueLink(t, "sia_late", "ada@example.com")
		ctx, q := t.Context(), f.st.Q

		f.clock.Advance(flow.CodeTTL - time.Millisecond)
		if _, err := f.codes.PeekLink(ctx, q, late); err != nil {
			t.Errorf("PeekLink 1 ms before ten minutes: %v", err)
		}
		if v, err := f.codes.CheckLink(ctx, q, early); err != nil || v.FlowID != "sia_early" {
			t.Errorf("CheckLink 1 ms before ten minutes = %+v, %v", v, err)
		}
		f.clock.Advance(time.Millisecond)
		_, err := f.codes.PeekLink(ctx, q, late)
		wantErr(t, "PeekLink at ten minutes", err, apperr.Expired, "expired")
		_, err = f.codes.CheckLink(ctx, q, late)
		wantErr(t, "CheckLink at ten minutes", err, apperr.Expired, "expired")
	})
}

// REQ-OTP-03, REQ-OTP-09: looking at a link (the GET a mail scanner makes)
// leaves it usable; using it spends it, once, even under 20 racing POSTs.
func TestLinkPeekThenSingleUse_REQ_OTP_03_REQ_OTP_09(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		tok := f.mustIssueLink(t, "sia_link", "ada@example.com")
		ctx, q := t.Context(), f.st.Q
		for i := range 3 {
			if v, err := f.codes.PeekLink(ctx, q, tok); err != nil || v.FlowID != "sia_link" || v.Target != "ada@example.com" {
				t.Fatalf("PeekLink %d = %+v, %v", i+1, v, err)
			}
		}
		errs := race(20, func() error { _, err := f.codes.CheckLink(ctx, q, tok); return err })
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case err != flow.ErrLinkUsed:
				t.Errorf("a losing CheckLink failed with %v, want ErrLinkUsed", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of 20 concurrent uses of one link succeeded, want 1", ok)
		}
		if _, err := f.codes.PeekLink(ctx, q, tok); err != flow.ErrLinkUsed {
			t.Errorf("PeekLink of a used link: %v, want ErrLinkUsed", err)
		}
	})
}

// A link changed in one character, cut short or padded names nothing.
func TestLinkTampered_REQ_OTP_03(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		tok := f.mustIssueLink(t, "sia_link", "ada@example.com")
		flip := "A"
		if tok[10] == 'A' {
			flip = "B"
		}
		for _, bad := range []string{tok[:10] + flip + tok[11:], tok[:42], tok + "A", "", strings.Repeat("A", 500)} {
			if _, err := f.codes.PeekLink(t.Context(), f.st.Q, bad); err != flow.ErrLinkInvalid {
				t.Errorf("PeekLink(%q) = %v, want ErrLinkInvalid", bad, err)
			}
			if _, err := f.codes.CheckLink(t.Context(), f.st.Q, bad); err != flow.ErrLinkInvalid {
				t.Errorf("CheckLink(%q) = %v, want ErrLinkInvalid", bad, err)
			}
		}
		if _, err := f.codes.CheckLink(t.Context(), f.st.Q, tok); err != nil {
			t.Errorf("the real link after the tampered ones: %v", err)
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A code reads as typed or pasted: full-width digits, spaces around it and
// groups of three; what is not a six-digit code is only trimmed.
func TestCleanCode(t *testing.T) {
	for typed, want := range map[string]string{
		"123456":         "123456",
		" 123456\n":      "123456",
		"123 456":        "123456",
		"123-456":        "123456",
		"123\u00a0456":   "123456", // a no-break space from a web page
		"１２３４５６":         "123456", // full-width, from a Japanese keyboard
		"１２３ ４５６":        "123456",
		"12345":          "12345",
		"1234567":        "1234567",
		"12a456":         "12a456",
		" abcd-efgh-23 ": "abcd-efgh-23", // a backup code: its checker reads it
		"ａｂｃｄ-ｅｆｇｈ-２３":   "abcd-efgh-23",
		"":               "",
	} {
		if got := flow.CleanCode(typed); got != want {
			t.Errorf("CleanCode(%q) = %q, want %q", typed, got, want)
		}
	}
}

// A send that failed because the request ran out of time (the Deadline
// middleware ends its context before the write timeout) is still
// forgotten: the code never went out, so the page must not announce it
// as sent nor make the person wait out a cooldown for it. Cancel does not
// need the request's context to be alive.
func TestCancelWorksAfterTheRequestRanOutOfTime(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		f := open(t, flow.SendLimits{})
		f.mustIssue(t, "sua_late", flow.EmailCode, "ada@example.com", "192.0.2.1")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := f.codes.Cancel(ctx, f.st.Q, "sua_late", flow.EmailCode); err != nil {
			t.Fatalf("Cancel on an ended request: %v", err)
		}
		if v, err := f.st.Q.LatestVerification(t.Context(), "sua_late", flow.EmailCode); err != nil || v != nil {
			t.Errorf("the unsent code is still there after Cancel (%+v, %v)", v, err)
		}
	})
}
