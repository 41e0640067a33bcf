package flow

import (
	"context"
	"time"

	"github.com/portalhq/portal/internal/apperr"
)

// SendLimits cap how many codes and links are sent (REQ-RL-04, REQ-OTP-10).
// They are counted in the store, so they hold across every portal process.
// Zero means no cap.
type SendLimits struct {
	PerTargetHour int // to one address or number
	PerTargetDay  int
	PerIPHour     int // requested from one network
	PerIPDay      int
	// SMSPerMinute and SMSPerHour are the instance-wide circuit breaker on
	// text messages: a pumping attack spreads over numbers and networks.
	SMSPerMinute int
	SMSPerHour   int
}

// DefaultSendLimits suit a small instance; each is configurable.
var DefaultSendLimits = SendLimits{PerTargetHour: 10, PerTargetDay: 20, PerIPHour: 30, PerIPDay: 100,
	SMSPerMinute: 30, SMSPerHour: 300}

var (
	errTargetCap = apperr.New(apperr.RateLimited, "Too many codes were sent to this email address or phone number recently. Please wait an hour and try again.").T("error.code.target_cap")
	errIPCap     = apperr.New(apperr.RateLimited, "Too many codes were requested from your network recently. Please try again later.").T("error.code.ip_cap")
	errSMSPaused = apperr.New(apperr.Unavailable, "Text messages are paused for a few minutes because of unusual volume. Please use another way to sign in, or try again later.").T("error.code.sms_paused")
)

func (l SendLimits) check(ctx context.Context, st CodeStore, channel, target, ip string, now time.Time) error {
	type rule struct {
		max int
		q   SendQuery
		err error
	}
	hour, day := now.Add(-time.Hour), now.Add(-24*time.Hour)
	rules := []rule{
		{l.PerTargetHour, SendQuery{Target: target, Since: hour}, errTargetCap},
		{l.PerTargetDay, SendQuery{Target: target, Since: day}, errTargetCap},
	}
	if ip != "" {
		rules = append(rules,
			rule{l.PerIPHour, SendQuery{IP: ip, Since: hour}, errIPCap},
			rule{l.PerIPDay, SendQuery{IP: ip, Since: day}, errIPCap})
	}
	if channel == "sms" {
		rules = append(rules,
			rule{l.SMSPerMinute, SendQuery{Channel: "sms", Since: now.Add(-time.Minute)}, errSMSPaused},
			rule{l.SMSPerHour, SendQuery{Channel: "sms", Since: hour}, errSMSPaused})
	}
	for _, r := range rules {
		if r.max <= 0 {
			continue
		}
		n, err := st.CountSends(ctx, r.q)
		if err != nil {
			return err
		}
		if n >= r.max {
			return r.err
		}
	}
	return nil
}
