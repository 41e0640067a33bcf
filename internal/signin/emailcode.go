package signin

import (
	"context"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/user"
)

// EmailCodeStrategy signs in with a 6-digit code sent to the email address.
type EmailCodeStrategy struct {
	Codes    *flow.Codes
	Store    flow.CodeStore
	Notifier flow.Notifier
}

func (e *EmailCodeStrategy) Name() string { return flow.EmailCode }

// Offered for unknown accounts too, for the same reason as passwords.
func (e *EmailCodeStrategy) Offered(*flow.Flow, *user.User) bool { return true }

// Prepare issues a code. For an unknown account the code is recorded (so
// cooldowns behave the same) but sent nowhere.
func (e *EmailCodeStrategy) Prepare(ctx context.Context, f *flow.Flow, u *user.User) error {
	code, err := e.Codes.Issue(ctx, e.Store, f.ID, flow.EmailCode, f.Identifier)
	if err != nil || u == nil {
		return err
	}
	return e.Notifier.SendCode(ctx, f.Identifier, code, "sign-in")
}

func (e *EmailCodeStrategy) Attempt(ctx context.Context, f *flow.Flow, u *user.User, in flow.Input) error {
	_, err := e.Codes.Check(ctx, e.Store, f.ID, flow.EmailCode, in.Code)
	return err
}
