package signin

import (
	"context"
	"errors"
	"strings"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Checker verifies the second factors kept by internal/factors.
type Checker interface {
	VerifyTOTP(ctx context.Context, userID, code string) error
	UseBackupCode(ctx context.Context, userID, code string) error
}

// TOTPStrategy is the authenticator-app second factor.
type TOTPStrategy struct{ Checker Checker }

func (s *TOTPStrategy) Name() string                                                     { return flow.TOTP }
func (s *TOTPStrategy) Offered(_ *flow.Flow, u *user.User) bool                          { return u != nil && u.TOTP }
func (s *TOTPStrategy) Prepare(context.Context, *flow.Flow, *user.User, flow.Meta) error { return nil }
func (s *TOTPStrategy) Attempt(ctx context.Context, _ *flow.Flow, u *user.User, in flow.Input) error {
	return s.Checker.VerifyTOTP(ctx, u.ID, in.Code)
}

// BackupCodeStrategy is a single-use backup code, for when the person's
// other second factor is out of reach.
type BackupCodeStrategy struct{ Checker Checker }

func (s *BackupCodeStrategy) Name() string { return flow.BackupCode }
func (s *BackupCodeStrategy) Offered(_ *flow.Flow, u *user.User) bool {
	return u != nil && u.HasSecondFactor() && u.BackupCodes > 0
}
func (s *BackupCodeStrategy) Prepare(context.Context, *flow.Flow, *user.User, flow.Meta) error {
	return nil
}
func (s *BackupCodeStrategy) Attempt(ctx context.Context, _ *flow.Flow, u *user.User, in flow.Input) error {
	return s.Checker.UseBackupCode(ctx, u.ID, in.Code)
}

// SecondFactorPhoneStrategy texts a code to the number the person chose
// for their second step (REQ-OTP-06: verified before). Its codes are kept
// apart from a first-factor phone_code of the same flow.
type SecondFactorPhoneStrategy struct {
	Codes    *flow.Codes
	Store    flow.CodeStore
	Notifier flow.Notifier
}

func (s *SecondFactorPhoneStrategy) Name() string { return flow.PhoneCode }

// Offered unless a text to that number was the first factor already: the
// same phone twice is one factor.
func (s *SecondFactorPhoneStrategy) Offered(f *flow.Flow, u *user.User) bool {
	if u == nil || u.SecondFactorPhone == "" {
		return false
	}
	first := f.Data.FirstFactor == flow.PhoneCode || f.Data.FirstFactor == flow.ResetPasswordPhoneCode
	return !first || PhoneTarget(f, u) != u.SecondFactorPhone
}

func (s *SecondFactorPhoneStrategy) Prepare(ctx context.Context, f *flow.Flow, u *user.User, m flow.Meta) error {
	code, err := s.Codes.Issue(ctx, s.Store, f.ID, flow.SecondFactorPhoneCode, u.SecondFactorPhone, m.IP)
	if err != nil {
		return err
	}
	if err := s.Notifier.SendSMSCode(ctx, u.SecondFactorPhone, code, "sign-in"); err != nil {
		_ = s.Codes.Cancel(ctx, s.Store, f.ID, flow.SecondFactorPhoneCode) // unsent: no cooldown, no cap
		return err
	}
	return nil
}

func (s *SecondFactorPhoneStrategy) Attempt(ctx context.Context, f *flow.Flow, _ *user.User, in flow.Input) error {
	_, err := s.Codes.Check(ctx, s.Store, f.ID, flow.SecondFactorPhoneCode, in.Code)
	return err
}

// SecondFactorsOffered lists the second factors the flow's user can use,
// in order.
func (s *Service) SecondFactorsOffered(ctx context.Context, f *flow.Flow) ([]string, error) {
	u, err := s.user(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range s.SecondFactors {
		if st.Offered(f, u) {
			out = append(out, st.Name())
		}
	}
	return out, nil
}

// SecondFactorTarget is where a second-factor code is texted, for the page.
func (s *Service) SecondFactorTarget(ctx context.Context, f *flow.Flow) (string, error) {
	u, err := s.user(ctx, f)
	if err != nil || u == nil {
		return "", err
	}
	return Mask(u.SecondFactorPhone), nil
}

// PrepareSecondFactor chooses a second factor (texting its code).
func (s *Service) PrepareSecondFactor(ctx context.Context, f *flow.Flow, strategy string, m flow.Meta) error {
	if f.Status != flow.NeedsSecondFactor {
		return ErrFlowGone
	}
	st, u, err := s.secondFactor(ctx, f, strategy)
	if err != nil {
		return err
	}
	if err := st.Prepare(ctx, f, u, m); err != nil {
		return err
	}
	if f.Data.Strategy == strategy {
		return nil
	}
	f.Data.Strategy, f.UpdatedAt = strategy, s.Clock.Now()
	return s.save(ctx, s.Repo, f)
}

// ErrEnterCode answers a second step submitted without a code.
var ErrEnterCode = apperr.Field(apperr.Invalid, "code", "Enter the code to continue.").T("error.code.empty")

// AttemptSecondFactor checks the second factor and, when it passes, starts
// the session with both factor times. A wrong code counts towards the
// account's lockout like a wrong password (REQ-RL-01), so six-digit codes
// cannot be guessed at leisure. An answer that checks nothing — no code
// typed, or a texted code before any was sent — guesses nothing either: it
// is told what to do and does not count.
func (s *Service) AttemptSecondFactor(ctx context.Context, f *flow.Flow, strategy string, in flow.Input, meta flow.Meta) (*session.Session, error) {
	if f.Status != flow.NeedsSecondFactor || f.Data.FirstFactorAt == nil {
		return nil, ErrFlowGone
	}
	st, u, err := s.secondFactor(ctx, f, strategy)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if err := canSignIn(u, now); err != nil {
		return nil, err
	}
	if in.Code = strings.TrimSpace(in.Code); in.Code == "" {
		return nil, ErrEnterCode
	}
	if err := st.Attempt(ctx, f, u, in); err != nil {
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid && !errors.Is(err, flow.ErrNoCodeSent) {
			if rerr := s.Lockout.Fail(ctx, s.Repo, u, now); rerr != nil {
				return nil, rerr
			}
		}
		return nil, err
	}
	second := s.Clock.Now()
	return s.finish(ctx, f, u, meta, f.Data.FirstFactor, *f.Data.FirstFactorAt, &second)
}

func (s *Service) secondFactor(ctx context.Context, f *flow.Flow, name string) (flow.Strategy, *user.User, error) {
	u, err := s.user(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		return nil, nil, ErrFlowGone
	}
	for _, st := range s.SecondFactors {
		if st.Name() == name && st.Offered(f, u) {
			return st, u, nil
		}
	}
	return nil, nil, apperr.New(apperr.Invalid, "That way of verifying isn't available. Choose another.").T("error.signin.factor_unavailable")
}

// StartNewPassword begins, for u whose first factor was verified elsewhere
// (an OAuth provider) and who has no second factor, the step a password
// marked as compromised asks for: a flow at needs_new_password, and no
// session until a new password is set.
func (s *Service) StartNewPassword(ctx context.Context, clientID string, u *user.User, first, redirectURL string) (*flow.Flow, error) {
	f := s.newFlowFor(clientID, u, redirectURL)
	now := s.Clock.Now()
	awaitNewPassword(f, first, now, nil, now)
	if err := s.Repo.CreateFlow(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// StartSecondFactor begins the second step for u, whose first factor was
// verified elsewhere (an OAuth provider): a flow at needs_second_factor,
// and no session until the second factor passes.
func (s *Service) StartSecondFactor(ctx context.Context, clientID string, u *user.User, first, redirectURL string) (*flow.Flow, error) {
	f := s.newFlowFor(clientID, u, redirectURL)
	now := s.Clock.Now()
	f.Status, f.Data.FirstFactor, f.Data.FirstFactorAt = flow.NeedsSecondFactor, first, &now
	if err := s.Repo.CreateFlow(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}
