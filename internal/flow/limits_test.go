package flow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
)

const (
	targetCapMsg = "Too many codes were sent to this email address or phone number"
	ipCapMsg     = "Too many codes were requested from your network"
	smsPausedMsg = "Text messages are paused"
)

// sender issues each send from a new flow, so the per-flow cooldown never
// hides a cap.
type sender struct {
	f *fixture
	n int
}

func (s *sender) send(t *testing.T, strategy, target, ip string) error {
	t.Helper()
	s.n++
	flowID := fmt.Sprintf("sia_cap%d", s.n)
	if strategy == flow.EmailLink {
		_, err := s.f.codes.IssueLink(t.Context(), s.f.st.Q, flowID, strategy, target, ip)
		return err
	}
	_, err := s.f.issue(t, flowID, strategy, target, ip)
	return err
}

func (s *sender) ok(t *testing.T, what, strategy, target, ip string) {
	t.Helper()
	if err := s.send(t, strategy, target, ip); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func (s *sender) refused(t *testing.T, what, strategy, target, ip string, code apperr.Code, msg string) {
	t.Helper()
	wantErr(t, what, s.send(t, strategy, target, ip), code, msg)
}

// REQ-RL-04, REQ-OTP-10: codes and links to one address count together
// against its hourly cap, whichever flow and network asked.
func TestSendCapPerTargetHour_REQ_RL_04_REQ_OTP_10(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		s := &sender{f: open(t, flow.SendLimits{PerTargetHour: 2})}
		s.ok(t, "first send", flow.EmailCode, "ada@example.com", "192.0.2.1")
		s.ok(t, "second send, a link", flow.EmailLink, "ada@example.com", "192.0.2.2")
		s.refused(t, "third send", flow.EmailCode, "ada@example.com", "192.0.2.3", apperr.RateLimited, targetCapMsg)
		s.ok(t, "another address", flow.EmailCode, "bob@example.com", "192.0.2.3")

		s.f.clock.Advance(59 * time.Minute)
		s.refused(t, "after 59 minutes", flow.EmailCode, "ada@example.com", "", apperr.RateLimited, targetCapMsg)
		s.f.clock.Advance(time.Minute + time.Millisecond)
		s.ok(t, "after an hour", flow.EmailCode, "ada@example.com", "")
	})
}

// REQ-RL-04, REQ-OTP-10: the daily cap per number holds though each hour
// stays under its own.
func TestSendCapPerTargetDay_REQ_RL_04_REQ_OTP_10(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		s := &sender{f: open(t, flow.SendLimits{PerTargetHour: 2, PerTargetDay: 3})}
		for i := range 3 {
			s.ok(t, fmt.Sprintf("send %d", i+1), flow.PhoneCode, "+14155550100", "")
			s.f.clock.Advance(2 * time.Hour)
		}
		s.refused(t, "fourth send, hours later", flow.PhoneCode, "+14155550100", "", apperr.RateLimited, targetCapMsg)
		// The first send leaves the window 24 h after it was made.
		s.f.clock.Advance(18*time.Hour + time.Millisecond)
		s.ok(t, "a day after the first", flow.PhoneCode, "+14155550100", "")
	})
}

// REQ-RL-04: one network can ask for only so many codes an hour, to any
// addresses; other networks are unaffected.
func TestSendCapPerIPHour_REQ_RL_04(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		s := &sender{f: open(t, flow.SendLimits{PerIPHour: 2})}
		s.ok(t, "first", flow.EmailCode, "a@example.com", "198.51.100.7")
		s.ok(t, "second", flow.EmailLink, "b@example.com", "198.51.100.7")
		s.refused(t, "third address, same network", flow.EmailCode, "c@example.com", "198.51.100.7",
			apperr.RateLimited, ipCapMsg)
		s.ok(t, "another network", flow.EmailCode, "c@example.com", "198.51.100.8")
		s.f.clock.Advance(time.Hour + time.Millisecond)
		s.ok(t, "an hour later", flow.EmailCode, "d@example.com", "198.51.100.7")
	})
}

// REQ-RL-04: the daily cap per network.
func TestSendCapPerIPDay_REQ_RL_04(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		s := &sender{f: open(t, flow.SendLimits{PerIPHour: 5, PerIPDay: 3})}
		for i := range 3 {
			s.ok(t, fmt.Sprintf("send %d", i+1), flow.EmailCode, fmt.Sprintf("p%d@example.com", i), "2001:db8::1")
			s.f.clock.Advance(3 * time.Hour)
		}
		s.refused(t, "fourth", flow.EmailCode, "q@example.com", "2001:db8::1", apperr.RateLimited, ipCapMsg)
		s.f.clock.Advance(15*time.Hour + time.Millisecond)
		s.ok(t, "a day after the first", flow.EmailCode, "q@example.com", "2001:db8::1")
	})
}

// REQ-OTP-10: the instance-wide breaker stops texts spread over many
// numbers and networks (SMS pumping), per minute; email is unaffected.
func TestSMSBreakerPerMinute_REQ_OTP_10(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		s := &sender{f: open(t, flow.SendLimits{SMSPerMinute: 2, SMSPerHour: 100})}
		s.ok(t, "first text", flow.PhoneCode, "+14155550101", "192.0.2.1")
		s.ok(t, "second text, a reset code", flow.ResetPasswordPhoneCode, "+14155550102", "192.0.2.2")
		s.refused(t, "third text", flow.PhoneCode, "+14155550103", "192.0.2.3", apperr.Unavailable, smsPausedMsg)
		s.ok(t, "an email meanwhile", flow.EmailCode, "ada@example.com", "192.0.2.3")
		s.f.clock.Advance(time.Minute + time.Millisecond)
		s.ok(t, "a minute later", flow.PhoneCode, "+14155550103", "192.0.2.3")
	})
}

// REQ-OTP-10: the breaker's hourly threshold.
func TestSMSBreakerPerHour_REQ_OTP_10(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		s := &sender{f: open(t, flow.SendLimits{SMSPerMinute: 10, SMSPerHour: 3})}
		for i := range 3 {
			s.ok(t, fmt.Sprintf("text %d", i+1), flow.PhoneCode, fmt.Sprintf("+1415555020%d", i), "")
			s.f.clock.Advance(10 * time.Minute)
		}
		s.refused(t, "fourth text", flow.PhoneCode, "+14155550209", "", apperr.Unavailable, smsPausedMsg)
		s.f.clock.Advance(30*time.Minute + time.Millisecond)
		s.ok(t, "an hour after the first", flow.PhoneCode, "+14155550209", "")
	})
}

// Zero limits mean no cap.
func TestNoLimits(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		s := &sender{f: open(t, flow.SendLimits{})}
		for i := range 25 {
			s.ok(t, fmt.Sprintf("text %d", i+1), flow.PhoneCode, "+14155550100", "192.0.2.1")
		}
	})
}
