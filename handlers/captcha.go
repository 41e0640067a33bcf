package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/captcha"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// Bot protection (PORTAL_CAPTCHA_PROVIDER, Clerk's "bot protection"): the
// sign-up form and the waitlist form show the provider's widget, and a
// post without a passed check starts nothing, sends nothing. A new account
// through a provider waits for the same check on the step that asks for
// what is missing (/sign-up/continue), unless the provider is in
// PORTAL_CAPTCHA_OAUTH_BYPASS. A check that
// cannot be made refuses as well (fail closed, REQ-LOG-02), with its own
// message. An invitation the browser holds is proof enough: sign-up with
// its address shows no widget (REQ-RL-04 is about strangers).

// spentWait is how long a post whose token the provider has seen waits for
// the start that spent it (the first press of a double click, perhaps on
// another portal) to store its flow.
const spentWait = 3 * time.Second

// captchaPaths are the forms that may show the widget; only they widen
// the security policy for it before the handler runs. The provider
// sign-up step (/sign-up/continue) widens it as it renders, only when it
// shows the widget (continueNeedsCaptcha).
var captchaPaths = map[string]bool{"/sign-up": true, "/waitlist": true}

// captchaExempt reports whether a sign-up with email needs no check: the
// browser holds a live invitation to that address, or sign-up is by
// invitation only (restricted and waitlist modes), where a stranger
// cannot start one at all.
func (a *app) captchaExempt(c echo.Context, email string) bool {
	if a.SignUp.Restricted {
		return true
	}
	if email == "" {
		return false
	}
	first, also := a.invitedEmails(c)
	email = user.NormalizeEmail(email)
	for _, inv := range []string{first, also} {
		if inv != "" && user.NormalizeEmail(inv) == email {
			return true
		}
	}
	return false
}

// captchaWidget is the widget for a form, nil when bot protection is off
// or exempt.
func (a *app) captchaWidget(exempt bool) *views.Captcha {
	if a.Captcha == nil || exempt {
		return nil
	}
	w := a.Captcha.Widget()
	return &views.Captcha{Class: w.Class, SiteKey: w.SiteKey, ScriptURL: w.ScriptURL}
}

// captchaCSP lets a page that shows the widget load the provider's script
// and frames (cspExtra).
func (a *app) captchaCSP(c echo.Context, e *CSPExtra) {
	if a.Captcha == nil || !captchaPaths[c.Path()] {
		return
	}
	*e = e.with(a.captchaSources())
}

func (a *app) captchaSources() CSPExtra {
	s := a.Captcha.Sources()
	return CSPExtra{ScriptSrc: s.Script, FrameSrc: s.Frame, ConnectSrc: s.Connect, StyleSrc: s.Style}
}

// continueNeedsCaptcha reports whether a provider sign-up's step for what
// is missing (/sign-up/continue) needs the check before the account is
// made: the sign-up waits for it (signup.FieldCaptcha, set when it began
// unless its provider is in PORTAL_CAPTCHA_OAUTH_BYPASS), bot protection
// is still on, and the address, the provider's or the one typed here, is
// not an invitee's.
func (a *app) continueNeedsCaptcha(c echo.Context, f *flowT, typedEmail string) bool {
	if a.Captcha == nil || !slices.Contains(f.Data.Missing, signup.FieldCaptcha) {
		return false
	}
	return !a.captchaExempt(c, firstNonEmpty(f.Data.Email, typedEmail))
}

// continueCaptcha checks the token posted to /sign-up/continue for f.
// Nothing is stored with a passed token here (the account is made at
// once, or the flow moves on), so a token the provider has seen passes
// only when this flow has moved past the step meanwhile: the same form
// sent a moment earlier (a double click) passed the check and made the
// account or moved on. moved is then the flow as that press left it,
// for the answer to follow; a spent token makes nothing new.
func (a *app) continueCaptcha(c echo.Context, f *flowT, form url.Values) (moved *flowT, refused *captchaRefused) {
	err := a.checkCaptcha(c, form.Get(a.Captcha.Widget().Field), func(ctx context.Context) (bool, error) {
		g, err := a.SignUp.Load(ctx, a.clientID(c), f.ID)
		if err != nil {
			return false, errNoRepeat
		}
		if g.Status == flow.Complete || g.Version != f.Version {
			moved = g
			return true, nil
		}
		return false, nil
	})
	if refused, ok := err.(*captchaRefused); ok {
		return nil, refused
	}
	return moved, nil
}

// Marks keeps short-lived notes where every portal of an instance sees
// them (store.Q's, in the shared rate-limit state).
type Marks interface {
	Mark(ctx context.Context, key string, until time.Time) error
	Marked(ctx context.Context, key string, now time.Time) (bool, error)
}

// waitlistCheck checks the waitlist form's token. A token the provider
// has seen passes only as a repeat of the press that spent it on the same
// address (a double click): that press marks the token and address, so
// the second one finds the mark, on any portal, whether or not the
// address was new. A mark is no more than that pair, so a spent token
// tells nothing about who is on the list (REQ-RL-05), and lets no other
// address through.
func (a *app) waitlistCheck(c echo.Context, token, email string) error {
	mark := "captcha-waitlist:" + captcha.Hash(captcha.Hash(token)+"\x00"+email)
	err := a.checkCaptcha(c, token, func(ctx context.Context) (bool, error) {
		if a.Marks == nil {
			return false, errNoRepeat
		}
		return a.Marks.Marked(ctx, mark, a.Clock.Now())
	})
	if err != nil || a.Marks == nil {
		return err
	}
	ctx := c.Request().Context()
	if err := a.Marks.Mark(ctx, mark, a.Clock.Now().Add(flow.SameStartWindow)); err != nil {
		// Only a double click's second press needs it, and it is told
		// to do the check again.
		a.Log.WarnContext(ctx, "waitlist: passed captcha not noted", "err", err, "request_id", RequestIDFrom(ctx))
	}
	return nil
}

// captchaRefused is a failed check: the status and message for the form.
type captchaRefused struct {
	status int
	msg    string
}

func (r *captchaRefused) Error() string { return r.msg }

// captchaFailed logs a failed check and says what the person can do: try
// the check (again), or, when it could not be made, try again shortly.
func (a *app) captchaFailed(c echo.Context, err error) *captchaRefused {
	ctx := c.Request().Context()
	attrs := []slog.Attr{slog.String("path", c.Path()), slog.String("ip", RealIP(c).String()),
		slog.String("err", err.Error()), slog.String("request_id", RequestIDFrom(ctx))}
	if errors.Is(err, captcha.ErrUnavailable) {
		a.Log.LogAttrs(ctx, slog.LevelWarn, "captcha could not be checked; refused (fail closed)", attrs...)
		return &captchaRefused{http.StatusServiceUnavailable, a.t(c, "error.captcha.unavailable")}
	}
	a.Log.LogAttrs(ctx, slog.LevelWarn, "captcha not passed", attrs...)
	return &captchaRefused{http.StatusUnprocessableEntity, a.t(c, "error.captcha.invalid")}
}

// signUpCaptcha checks a sign-up start's token. A token the provider has
// seen is let through only as a repeat of the start that spent it (a
// double click): prev is then that start's flow, which this post lands on
// as Start's own repeat would. in.Captcha is set to the token's hash.
func (a *app) signUpCaptcha(c echo.Context, form url.Values, cid string, in *signup.Form, target string) (prev *flow.Flow, refused *captchaRefused, err error) {
	token := form.Get(a.Captcha.Widget().Field)
	if token != "" {
		in.Captcha = captcha.Hash(token)
	}
	err = a.checkCaptcha(c, token, func(ctx context.Context) (bool, error) {
		prev, err = a.SignUp.Repeat(ctx, cid, *in, target)
		if errors.Is(err, signup.ErrNotRepeat) {
			return false, errNoRepeat
		}
		return prev != nil, err
	})
	if refused, ok := err.(*captchaRefused); ok {
		return nil, refused, nil
	}
	return prev, nil, err
}

// errNoRepeat is what a repeat func of checkCaptcha answers when the
// spent token's first use is stored and is not this post: asking again
// would only cost (a password hash per try), never change the answer.
var errNoRepeat = errors.New("captcha: spent on another post")

// checkCaptcha asks the provider about token; a *captchaRefused error is
// the answer for the form. A token the provider has seen passes only when
// repeat finds what the post that spent it did (the first press of a
// double click); that press may still be storing it, perhaps on another
// portal, so repeat is asked again for a moment, unless it answers
// errNoRepeat.
func (a *app) checkCaptcha(c echo.Context, token string, repeat func(context.Context) (bool, error)) error {
	ctx := c.Request().Context()
	verr := a.Captcha.Verify(ctx, token, RealIP(c))
	if verr == nil {
		return nil
	}
	if errors.Is(verr, captcha.ErrSpent) {
		wait, cancel := context.WithTimeout(ctx, spentWait)
		defer cancel()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			ok, err := repeat(ctx)
			if errors.Is(err, errNoRepeat) {
				break
			}
			if err != nil || ok {
				return err
			}
			select {
			case <-tick.C:
				continue
			case <-wait.Done():
			}
			break
		}
	}
	return a.captchaFailed(c, verr)
}
