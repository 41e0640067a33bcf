package signup

import (
	"context"
	"slices"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Invite is the pending invitation the browser of a provider sign-up
// holds, as the caller read it from its cookies; the zero value is none.
type Invite struct {
	// Email is the invited address: the application invitation's, or else
	// an organization invitation's (as Form.Invited). AlsoEmail is an
	// organization invitation's other address when the browser holds both
	// (as Form.AlsoInvited).
	Email, AlsoEmail string
	// AppInvitationID is the application invitation to Email, when the
	// invitation is one: a sign-up with that address takes it up as the
	// account is created (as Form.InvitationID).
	AppInvitationID string
}

// ErrInvitedAccount refuses, on a restricted instance, a provider sign-up
// whose provider account has no verified address or another one than the
// invitation's: nothing is made, and the form remains.
var ErrInvitedAccount = apperr.New(apperr.Forbidden,
	"To take up your invitation, use an account with the address it was sent to, verified by the provider, or create your account with the form below.").T("error.signup.invited_account")

// StartExternal begins a sign-up through a provider account. It asks only
// for the required fields the provider did not give; with none missing and
// the email verified by the provider, the account is created at once and
// the session returned. On a restricted instance it needs inv, and the
// provider to have verified the invited address; an application invitation
// to the provider's address is taken up as the account is created.
func (s *Service) StartExternal(ctx context.Context, clientID string, x flow.External, inv Invite, redirectURL string, m flow.Meta) (*flow.Flow, *session.Session, error) {
	d := flow.Data{FirstName: x.FirstName, LastName: x.LastName, External: &x}
	if x.Email != "" {
		if v, err := notify.ValidAddress(x.Email); err == nil {
			d.Email = user.NormalizeEmail(v)
			d.EmailVerified = x.EmailVerified
		}
	}
	invited := isInvited(d.Email, inv.Email, inv.AlsoEmail)
	if s.Restricted {
		if inv.Email == "" {
			return nil, nil, ErrInvitationOnly
		}
		// The provider vouches for the address here as the emailed code
		// does on the form: an address it did not verify is not enough.
		if !invited || !d.EmailVerified {
			return nil, nil, ErrInvitedAccount
		}
	}
	if isInvited(d.Email, inv.Email) {
		// An address the provider did not verify is verified by code
		// before the account exists, which then takes the invitation up.
		d.InvitationID = inv.AppInvitationID
	}
	if d.Email != "" {
		if e, err := s.Restrict.CheckNew(ctx, user.Email, d.Email); err != nil {
			return nil, nil, err
		} else if e != nil {
			return nil, nil, e
		}
	}
	for _, name := range []string{FieldEmail, FieldPhone, FieldUsername, FieldFirstName, FieldLastName} {
		if !s.Fields.Required[name] {
			continue
		}
		given := map[string]string{FieldEmail: d.Email, FieldFirstName: d.FirstName, FieldLastName: d.LastName}[name]
		if given == "" {
			d.Missing = append(d.Missing, name)
		}
	}
	// With fields still to give, Fill judges the identifiers all together.
	if len(d.Missing) == 0 {
		if ok, err := s.Restrict.AllowsAny(ctx, identifiers(d)...); err != nil {
			return nil, nil, err
		} else if !ok {
			return nil, nil, restrict.ErrNoneAllowed("")
		}
	}
	if s.LegalConsent {
		// A provider cannot agree for the person: they tick the box on the
		// step that asks for what is missing, before any account exists.
		d.Missing = append(d.Missing, FieldLegal)
	}
	if s.BotProtection && !s.BotBypass[x.Provider] && !s.Restricted && !invited {
		// A provider account is no proof of a person (REQ-RL-04): the
		// check the sign-up form asks for comes on that step too, before
		// any account exists. An invitation is proof enough, as on the
		// form, and only invitees sign up on a restricted instance.
		d.Missing = append(d.Missing, FieldCaptcha)
	}
	now := s.Clock.Now()
	f := &flow.Flow{ID: id.New(id.SignUp), Kind: flow.SignUp, ClientID: clientID, Status: flow.MissingRequirements,
		Identifier: d.Email, RedirectURL: redirectURL, CreatedAt: now, UpdatedAt: now, ExpireAt: now.Add(flow.Lifetime),
		Data: d}
	f.Data.Browser, f.Data.Locale = session.BrowserMark(ctx), i18n.PersonLocale(ctx)
	if len(d.Missing) == 0 {
		f.Data.Strategy = s.nextStrategy(f)
	}
	if err := s.Repo.CreateFlow(ctx, f); err != nil {
		return nil, nil, err
	}
	switch {
	case len(d.Missing) > 0:
		return f, nil, nil
	case f.Data.Strategy == "":
		sess, err := s.complete(ctx, f, m)
		return f, sess, err
	}
	return f, nil, s.send(ctx, f, m)
}

// MissingFields are the fields the person still has to give on an
// external sign-up (FieldLegal among them when the box is to be ticked).
func (s *Service) MissingFields(f *flow.Flow) Fields {
	fs := Fields{Shown: map[string]bool{}, Required: map[string]bool{}}
	for _, name := range f.Data.Missing {
		fs.Shown[name], fs.Required[name] = true, true
	}
	return fs
}

// Fill takes the missing fields of an external sign-up, then goes on to
// verification or, with nothing left, creates the account. An invitation
// the flow began with is taken up then; when the address was missing,
// in.InvitationID is an application invitation to the one typed (as for
// Start).
func (s *Service) Fill(ctx context.Context, f *flow.Flow, in Form, m flow.Meta) (*session.Session, error) {
	if f.Status != flow.MissingRequirements || len(f.Data.Missing) == 0 {
		return nil, ErrFlowGone
	}
	if slices.Contains(f.Data.Missing, FieldCaptcha) && !in.BotChecked {
		return nil, ErrBotCheck
	}
	d, err := s.validate(ctx, in, s.MissingFields(f), true)
	if err != nil {
		return nil, err
	}
	if err := s.allowedWith(ctx, f, d); err != nil {
		return nil, err
	}
	for _, name := range f.Data.Missing {
		switch name {
		case FieldEmail:
			f.Data.Email, f.Data.ExistingUser, f.Identifier = d.Email, d.ExistingUser, d.Email
			if in.InvitationID != "" { // the invitation's address, typed here
				f.Data.InvitationID = in.InvitationID
			}
		case FieldPhone:
			f.Data.Phone, f.Data.PhoneTaken = d.Phone, d.PhoneTaken
		case FieldUsername:
			f.Data.Username = d.Username
		case FieldFirstName:
			f.Data.FirstName = d.FirstName
		case FieldLastName:
			f.Data.LastName = d.LastName
		case FieldLegal:
			now := s.Clock.Now()
			f.Data.LegalAcceptedAt = &now
		}
	}
	f.Data.Missing = nil
	f.Data.Strategy = s.nextStrategy(f)
	f.UpdatedAt = s.Clock.Now()
	if f.Data.Strategy == "" {
		return s.complete(ctx, f, m)
	}
	if err := s.save(ctx, s.Repo, f); err != nil {
		return nil, err
	}
	return nil, s.send(ctx, f, m)
}

// allowedWith checks the allowlist against the identifiers f would have
// with the missing fields filled from d, before anything changes.
func (s *Service) allowedWith(ctx context.Context, f *flow.Flow, d flow.Data) error {
	got := f.Data
	for _, name := range f.Data.Missing {
		switch name {
		case FieldEmail:
			got.Email = d.Email
		case FieldPhone:
			got.Phone = d.Phone
		case FieldUsername:
			got.Username = d.Username
		}
	}
	if ok, err := s.Restrict.AllowsAny(ctx, identifiers(got)...); err != nil || ok {
		return err
	}
	field := firstGiven(d) // on what was just typed, if anything
	e := restrict.ErrNoneAllowed(field)
	return &FormError{Fields: map[string]string{field: e.Message}, Errors: map[string]*apperr.Error{field: e}}
}
