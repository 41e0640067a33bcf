// Package factors manages the ways a signed-in person proves who they are
// beyond the first step: passkeys, an authenticator app (TOTP), backup codes
// and text-message codes as a second factor. It keeps the rules that span
// them: backup codes come with the first second factor and go with the
// last; the last way to sign in cannot be removed; every change is a
// user.updated event written in the same transaction.
//
// The callers ask for a recent verification of the person before any change
// here (REQ-SES-06, REQ-WA-10).
package factors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/mfa"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/slots"
	"github.com/portalhq/portal/internal/user"
)

// TOTP is a user's authenticator-app secret. It counts once confirmed.
type TOTP struct {
	UserID       string
	Secret       string // sealed (AES-GCM); see Service.Key
	ConfirmedAt  *time.Time
	LastUsedStep int64 // the newest time step accepted, so a code works once
	CreatedAt    time.Time
}

// BackupCode is one hashed backup code.
type BackupCode struct {
	ID        string
	UserID    string
	Hash      string
	UsedAt    *time.Time
	CreatedAt time.Time
}

// Repo is what factors needs from the store.
type Repo interface {
	UserByID(ctx context.Context, id string) (*user.User, error)
	// LockUser holds the user's row until the transaction ends;
	// apperr.ErrNotFound when there is no such user.
	LockUser(ctx context.Context, userID string) error
	TouchUser(ctx context.Context, userID string, at time.Time) error
	InsertEvent(ctx context.Context, e events.Event) error

	// TOTPOfUser returns apperr.ErrNotFound when the user has none.
	TOTPOfUser(ctx context.Context, userID string) (*TOTP, error)
	// SaveTOTP stores a pending secret, replacing an unconfirmed one; a
	// confirmed one is apperr.ErrConflict.
	SaveTOTP(ctx context.Context, t TOTP) error
	// ConfirmTOTP marks the pending secret confirmed with the step of the
	// code that confirmed it; false when there is none or it was confirmed
	// meanwhile.
	ConfirmTOTP(ctx context.Context, userID string, step int64, at time.Time) (bool, error)
	// UseTOTPStep moves last_used_step forwards to step; false when it is
	// there already, so two requests with one code cannot both pass.
	UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	DeleteTOTP(ctx context.Context, userID string) error

	// ReplaceBackupCodes deletes the user's codes and stores these.
	ReplaceBackupCodes(ctx context.Context, userID string, codes []BackupCode) error
	UnusedBackupCodes(ctx context.Context, userID string) ([]BackupCode, error)
	// UseBackupCode marks a code used where it was not yet; false otherwise.
	UseBackupCode(ctx context.Context, id string, at time.Time) (bool, error)
	DeleteBackupCodes(ctx context.Context, userID string) error

	SetSecondFactorPhone(ctx context.Context, userID, identifierID string, at time.Time) error
	DeleteSecondFactorPhone(ctx context.Context, userID string) error

	// DeleteCredential removes one of the user's passkeys; apperr.ErrNotFound
	// when it is not theirs.
	DeleteCredential(ctx context.Context, userID string, id []byte) error
}

// Service applies the rules. It is safe for concurrent use.
type Service struct {
	Clock clockwork.Clock
	Repo  Repo
	InTx  func(ctx context.Context, fn func(Repo) error) error
	// Key seals TOTP secrets at rest (32 bytes, AES-256-GCM).
	Key []byte
	// Issuer names the account in authenticator apps: the app's name,
	// read at each setup, since a theme's applicationName may change it.
	Issuer   func() string
	Passkeys *passkey.Service
	// SignIn is what the instance accepts at sign-in, for the rule that an
	// account always keeps a way in (user.CanSignIn).
	SignIn user.SignInOptions
	// SecondFactors are the instance's enabled second factors (config
	// names: totp, backup_code, phone_code).
	SecondFactors []string
	// RequireMFA keeps the last second factor from being removed.
	RequireMFA bool
	// Skew is the TOTP windows accepted either side of now.
	Skew uint
	// Bcrypt bounds the imported bcrypt digests of backup codes checked
	// at once (REQ-PW-09); nil checks them without a bound.
	Bcrypt *slots.Slots
	// UserAbilities are what the instance lets users do, for the user
	// objects of the events written.
	UserAbilities user.Abilities
}

// Second factor names, as configured.
const (
	TOTPFactor       = "totp"
	BackupCodeFactor = "backup_code"
	PhoneFactor      = "phone_code"
)

// Enabled reports whether the instance offers the second factor name.
func (s *Service) Enabled(name string) bool { return slices.Contains(s.SecondFactors, name) }

// pendingLifetime bounds how long an unconfirmed TOTP secret is shown again
// instead of a new one: long enough to fetch a phone, short enough that a
// secret seen on a shared screen goes stale.
const pendingLifetime = 30 * time.Minute

var (
	// ErrTOTPExists: the user has an authenticator app already.
	ErrTOTPExists = apperr.New(apperr.Conflict, "You already use an authenticator app. Remove it first to set up another.").T("account.error.totp_exists")
	errNoTOTP     = apperr.New(apperr.NotFound, "Set up the authenticator app again: this setup has expired.").T("account.error.totp_setup_expired")
	errDisabled   = apperr.New(apperr.Invalid, "That way of verifying isn't available on this site.").T("account.error.factor_disabled")
	errRequired   = apperr.New(apperr.Invalid, "This site requires a second step when you sign in. Add another one before removing this one.").T("account.error.factor_required")
	errNoPhone    = apperr.New(apperr.Invalid, "Add and verify a phone number first.").T("account.error.no_phone")
	errNoFactor   = apperr.New(apperr.Invalid, "Backup codes come with a second step: add an authenticator app or text-message codes first.").T("account.error.backup_needs_factor")
	// ErrLastWay: removing the passkey would leave no way to sign in.
	ErrLastWay   = apperr.New(apperr.Invalid, "You can't remove your only way to sign in. Add another way first.").T("account.error.last_way")
	errNoPasskey = apperr.New(apperr.NotFound, "That passkey no longer exists.").T("account.error.passkey_gone")
	// ErrBadCode answers every wrong, reused or unknown code alike.
	ErrBadCode = apperr.Field(apperr.Invalid, "code", "That code is incorrect. Try again.").T("account.error.bad_code")
)

// Setup is what a person needs to add an authenticator app.
type Setup struct {
	Secret string // base32, for typing in
	URL    string // otpauth://, inside the QR code
	QRSVG  string // the QR code as an inline SVG document
}

// BeginTOTP returns the pending secret for u, made now or shown again.
func (s *Service) BeginTOTP(ctx context.Context, u *user.User) (*Setup, error) {
	if !s.Enabled(TOTPFactor) {
		return nil, errDisabled
	}
	now := s.Clock.Now()
	t, err := s.Repo.TOTPOfUser(ctx, u.ID)
	switch {
	case err == nil && t.ConfirmedAt != nil:
		return nil, ErrTOTPExists
	case err == nil && now.Sub(t.CreatedAt) < pendingLifetime:
		secret, err := open(s.Key, u.ID, t.Secret)
		if err != nil {
			return nil, err
		}
		return s.setup(u, secret)
	case err != nil && !errors.Is(err, apperr.ErrNotFound):
		return nil, err
	}
	secret, _, err := mfa.NewTOTPSecret(s.Issuer(), accountName(u))
	if err != nil {
		return nil, err
	}
	sealed, err := sealSecret(s.Key, u.ID, secret)
	if err != nil {
		return nil, err
	}
	if err := s.Repo.SaveTOTP(ctx, TOTP{UserID: u.ID, Secret: sealed, CreatedAt: now}); errors.Is(err, apperr.ErrConflict) {
		return nil, ErrTOTPExists
	} else if err != nil {
		return nil, err
	}
	return s.setup(u, secret)
}

func (s *Service) setup(u *user.User, secret string) (*Setup, error) {
	url, err := mfa.TOTPURL(s.Issuer(), accountName(u), secret)
	if err != nil {
		return nil, err
	}
	svg, err := mfa.QRCodeSVG(url)
	if err != nil {
		return nil, err
	}
	return &Setup{Secret: secret, URL: url, QRSVG: svg}, nil
}

// accountName labels the entry in the person's authenticator app.
func accountName(u *user.User) string {
	for _, v := range []string{u.PrimaryEmail(), u.Username(), u.PrimaryPhone()} {
		if v != "" {
			return v
		}
	}
	return u.ID
}

// ConfirmTOTP checks a code from the app against the pending secret; from
// then on the app counts as a second factor. When it is the user's first,
// the new backup codes are returned to be shown once.
func (s *Service) ConfirmTOTP(ctx context.Context, u *user.User, code string) ([]string, error) {
	t, err := s.Repo.TOTPOfUser(ctx, u.ID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && s.Clock.Now().Sub(t.CreatedAt) >= pendingLifetime && t.ConfirmedAt == nil) {
		return nil, errNoTOTP
	}
	if err != nil {
		return nil, err
	}
	if t.ConfirmedAt != nil {
		return nil, ErrTOTPExists
	}
	secret, err := open(s.Key, u.ID, t.Secret)
	if err != nil {
		return nil, err
	}
	step, ok := s.validator().Validate(secret, code, t.LastUsedStep)
	if !ok {
		return nil, ErrBadCode
	}
	var plain []string
	err = s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		ok, err := r.ConfirmTOTP(ctx, u.ID, step, now)
		if err != nil {
			return err
		}
		if !ok {
			return ErrTOTPExists
		}
		if plain, err = s.firstFactorCodes(ctx, r, u, now); err != nil {
			return err
		}
		return s.userUpdated(ctx, r, u.ID, now)
	})
	return plain, err
}

// RemoveTOTP removes the authenticator app; with it goes the last second
// factor's backup codes.
func (s *Service) RemoveTOTP(ctx context.Context, u *user.User) error {
	return s.removeOwn(ctx, u.ID, TOTPFactor)
}

// removeOwn takes one of a person's own second factors away, unless the
// instance requires a second factor and it is their last. The rules are
// judged on the user as it is under its row lock.
func (s *Service) removeOwn(ctx context.Context, userID, factor string) error {
	return s.InTx(ctx, func(r Repo) error {
		u, err := lockedUser(ctx, r, userID)
		if err != nil {
			return err
		}
		switch {
		case factor == TOTPFactor && !u.TOTP:
			return apperr.New(apperr.NotFound, "You don't use an authenticator app.").T("account.error.no_totp")
		case factor == PhoneFactor && u.SecondFactorPhone == "":
			return apperr.New(apperr.NotFound, "Text-message codes are already off.").T("account.error.sms_already_off")
		case s.RequireMFA && !s.hasOther(u, factor):
			return errRequired
		}
		return s.remove(ctx, r, u, []string{factor}, s.Clock.Now())
	})
}

// Reset takes second factors of userID away at the operator's request
// (the Backend API's DELETE /v1/users/{id}/mfa, …/totp, …/backup_code):
// TOTPFactor, PhoneFactor (the number stays, it only stops receiving
// codes) and BackupCodeFactor. It is how support lets in someone who lost
// their phone, so unlike a person's own removal it needs no recent
// verification and RequireMFA does not stop it: where a second factor is
// required the person enrols one again at their next sign-in. Backup codes
// still go with the last second factor. What is already gone is no error;
// user.updated is written only when something went. apperr.ErrNotFound
// user.ErrNoUser
// when there is no such user.
func (s *Service) Reset(ctx context.Context, userID string, which ...string) error {
	return s.InTx(ctx, func(r Repo) error {
		u, err := lockedUser(ctx, r, userID)
		if err != nil {
			return err
		}
		return s.remove(ctx, r, u, which, s.Clock.Now())
	})
}

// ReleasePhone stops second-factor codes by text message for u, whose row
// the caller's transaction r holds, under the same rules as Reset; the
// caller writes user.updated. It reports whether anything changed.
func (s *Service) ReleasePhone(ctx context.Context, r Repo, u *user.User) (bool, error) {
	return s.drop(ctx, r, u, []string{PhoneFactor})
}

// remove drops the factors and writes user.updated when anything went.
func (s *Service) remove(ctx context.Context, r Repo, u *user.User, which []string, now time.Time) error {
	changed, err := s.drop(ctx, r, u, which)
	if err != nil || !changed {
		return err
	}
	return s.userUpdated(ctx, r, u.ID, now)
}

// drop deletes the named second factors of the locked user u and, when no
// second factor is left, its backup codes (they recover the others, and
// count for nothing alone). It reports whether u lost anything.
func (s *Service) drop(ctx context.Context, r Repo, u *user.User, which []string) (bool, error) {
	left, changed := *u, false
	gone := func(err error) error {
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		return err
	}
	for _, f := range which {
		var err error
		switch f {
		case TOTPFactor: // an unconfirmed setup goes too
			err = gone(r.DeleteTOTP(ctx, u.ID))
			changed, left.TOTP = changed || u.TOTP, false
		case PhoneFactor:
			err = gone(r.DeleteSecondFactorPhone(ctx, u.ID))
			changed, left.SecondFactorPhone = changed || u.SecondFactorPhone != "", ""
		case BackupCodeFactor:
			err = r.DeleteBackupCodes(ctx, u.ID)
			changed, left.BackupCodes = changed || u.BackupCodes > 0, 0
		default:
			return false, fmt.Errorf("factors: no second factor %q", f)
		}
		if err != nil {
			return false, err
		}
	}
	if !left.HasSecondFactor() && left.BackupCodes > 0 {
		if err := r.DeleteBackupCodes(ctx, u.ID); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// lockedUser holds userID's row for the transaction and reads the user;
// user.ErrNoUser when there is none.
func lockedUser(ctx context.Context, r Repo, userID string) (*user.User, error) {
	if err := r.LockUser(ctx, userID); errors.Is(err, apperr.ErrNotFound) {
		return nil, user.ErrNoUser
	} else if err != nil {
		return nil, err
	}
	return r.UserByID(ctx, userID)
}

// EnablePhone makes u's verified phone number receive a code at each
// sign-in (REQ-OTP-06: only a number verified before). When it is the
// user's first second factor, the new backup codes are returned.
func (s *Service) EnablePhone(ctx context.Context, u *user.User) ([]string, error) {
	if !s.Enabled(PhoneFactor) {
		return nil, errDisabled
	}
	idn := ""
	for _, i := range u.Identifiers {
		if i.Kind == user.Phone && i.Verified() && i.Value == u.PrimaryPhone() {
			idn = i.ID
		}
	}
	if idn == "" {
		return nil, errNoPhone
	}
	var plain []string
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		var err error
		if plain, err = s.ReservePhone(ctx, r, u, idn, now); err != nil {
			return err
		}
		return s.userUpdated(ctx, r, u.ID, now)
	})
	return plain, err
}

// ReservePhone makes u's verified phone number identifierID the one that
// receives second-factor codes, inside the caller's transaction r (which
// writes user.updated). When it is u's first second factor, the new backup
// codes are returned, to be shown once.
func (s *Service) ReservePhone(ctx context.Context, r Repo, u *user.User, identifierID string, now time.Time) ([]string, error) {
	if !s.Enabled(PhoneFactor) {
		return nil, errDisabled
	}
	if i := u.Identifier(identifierID); i == nil || i.Kind != user.Phone || !i.Verified() {
		return nil, errNoPhone
	}
	if err := r.SetSecondFactorPhone(ctx, u.ID, identifierID, now); err != nil {
		return nil, err
	}
	return s.firstFactorCodes(ctx, r, u, now)
}

// DisablePhone stops second-factor codes by text message.
func (s *Service) DisablePhone(ctx context.Context, u *user.User) error {
	return s.removeOwn(ctx, u.ID, PhoneFactor)
}

// RegenerateBackupCodes replaces every backup code of u with new ones, to
// be shown once.
//
// version is the set the page asking for them showed (BackupCodesVersion):
// when the codes are no longer that set — the same button pressed twice,
// or in another tab — they are left as they are and the answer is
// ErrBackupCodesReplaced, so that the codes a person was shown are always
// the ones that work. "" replaces whatever set there is.
func (s *Service) RegenerateBackupCodes(ctx context.Context, u *user.User, version string) ([]string, error) {
	if !s.Enabled(BackupCodeFactor) {
		return nil, errDisabled
	}
	if !u.HasSecondFactor() {
		return nil, errNoFactor
	}
	var plain []string
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if version != "" {
			// Two presses take turns here, and the second finds the
			// first's set.
			if err := r.LockUser(ctx, u.ID); err != nil {
				return err
			}
			cur, err := backupVersion(ctx, r, u.ID)
			if err != nil {
				return err
			}
			if cur != version {
				return ErrBackupCodesReplaced
			}
		}
		var err error
		if plain, err = s.replaceCodes(ctx, r, u.ID, now); err != nil {
			return err
		}
		return s.userUpdated(ctx, r, u.ID, now)
	})
	return plain, err
}

// ErrBackupCodesReplaced answers new backup codes asked for from a page
// that showed an older set (RegenerateBackupCodes).
var ErrBackupCodesReplaced = apperr.New(apperr.Conflict, "Your backup codes were replaced a moment ago, by another press of the button or in another tab: the codes shown there are the ones that work. If you didn't keep them, get new ones.").T("account.backup.replaced")

// BackupCodesVersion names userID's set of backup codes as it is now, for
// RegenerateBackupCodes to tell whether it changed since a page showed it.
func (s *Service) BackupCodesVersion(ctx context.Context, userID string) (string, error) {
	return backupVersion(ctx, s.Repo, userID)
}

// backupVersion is when the unused codes were made (one set is made at
// once), "none" when there are none: a code used meanwhile leaves it as it
// was, a new set changes it.
func backupVersion(ctx context.Context, r Repo, userID string) (string, error) {
	codes, err := r.UnusedBackupCodes(ctx, userID)
	if err != nil {
		return "", err
	}
	var last int64
	for _, c := range codes {
		last = max(last, c.CreatedAt.UnixMilli())
	}
	if last == 0 {
		return "none", nil
	}
	return strconv.FormatInt(last, 10), nil
}

// firstFactorCodes issues backup codes when u had no second factor before
// this change (REQ: codes come with the first one).
func (s *Service) firstFactorCodes(ctx context.Context, r Repo, u *user.User, now time.Time) ([]string, error) {
	if u.HasSecondFactor() || !s.Enabled(BackupCodeFactor) {
		return nil, nil
	}
	return s.replaceCodes(ctx, r, u.ID, now)
}

func (s *Service) replaceCodes(ctx context.Context, r Repo, userID string, now time.Time) ([]string, error) {
	plain, hashed, err := mfa.GenerateBackupCodes(mfa.BackupCodeCount)
	if err != nil {
		return nil, err
	}
	codes := make([]BackupCode, len(hashed))
	for i, h := range hashed {
		codes[i] = BackupCode{ID: newID("bkc"), UserID: userID, Hash: h, CreatedAt: now}
	}
	if err := r.ReplaceBackupCodes(ctx, userID, codes); err != nil {
		return nil, err
	}
	return plain, nil
}

// hasOther reports whether u keeps a second factor other than except.
func (s *Service) hasOther(u *user.User, except string) bool {
	return except != TOTPFactor && u.TOTP || except != PhoneFactor && u.SecondFactorPhone != ""
}

func (s *Service) validator() mfa.TOTP {
	skew := s.Skew
	if skew == 0 {
		skew = mfa.DefaultSkew
	}
	return mfa.TOTP{Clock: s.Clock, Skew: skew}
}

// VerifyTOTP checks a code from u's authenticator app and spends its time
// step, so the same code (or an older one) cannot be used again.
func (s *Service) VerifyTOTP(ctx context.Context, userID, code string) error {
	t, err := s.Repo.TOTPOfUser(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && t.ConfirmedAt == nil) {
		return ErrBadCode
	}
	if err != nil {
		return err
	}
	secret, err := open(s.Key, userID, t.Secret)
	if err != nil {
		return err
	}
	step, ok := s.validator().Validate(secret, code, t.LastUsedStep)
	if !ok {
		return ErrBadCode
	}
	if ok, err := s.Repo.UseTOTPStep(ctx, userID, step); err != nil {
		return err
	} else if !ok {
		return ErrBadCode // another request spent this code first
	}
	return nil
}

// UseBackupCode checks a backup code of u and spends it. Matching reads
// the unused codes; the conditional update that marks one used is what
// keeps it single-use when two requests race.
func (s *Service) UseBackupCode(ctx context.Context, userID, code string) error {
	codes, err := s.Repo.UnusedBackupCodes(ctx, userID)
	if err != nil {
		return err
	}
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = c.Hash
	}
	i, ok, err := mfa.CheckBackupCode(ctx, code, hashes, s.Bcrypt)
	if errors.Is(err, slots.ErrBusy) {
		return ErrBusy
	} else if err != nil {
		return err
	}
	if !ok {
		return ErrBadCode
	}
	if ok, err := s.Repo.UseBackupCode(ctx, codes[i].ID, s.Clock.Now()); err != nil {
		return err
	} else if !ok {
		return ErrBadCode
	}
	return nil
}

// ErrBusy answers a backup code that was not checked because too many
// imported bcrypt digests were being checked at once (Service.Bcrypt): no
// code was spent, and the attempt does not count as a wrong one.
var ErrBusy = apperr.New(apperr.Unavailable,
	"Too many sign-in attempts are being processed right now. Please try again in a moment.").T("error.password.busy")

var (
	// ErrNoCodeToCheck: the user has neither an authenticator app nor
	// backup codes the instance accepts, so there is nothing to check a
	// code against (the Backend API's verify_totp, Clerk's totp_disabled).
	ErrNoCodeToCheck = apperr.New(apperr.Invalid,
		"This user has no authenticator app or backup codes to check a code against.").Coded("totp_disabled")
	// ErrIncorrectCode answers verify_totp for a wrong, spent or malformed
	// code alike (Clerk's totp_incorrect_code).
	ErrIncorrectCode = apperr.Field(apperr.Invalid, "code",
		"The code is neither the user's current authenticator-app code nor one of their unused backup codes.").Coded("totp_incorrect_code")
)

// CodeCheckable reports whether u has something VerifyCode can check a
// code against: an authenticator app, or backup codes, each as sign-in
// offers them (the instance accepts the factor; backup codes only beside
// another second factor).
func (s *Service) CodeCheckable(u *user.User) bool {
	return s.checksTOTP(u) || s.checksBackupCodes(u)
}

func (s *Service) checksTOTP(u *user.User) bool { return s.Enabled(TOTPFactor) && u.TOTP }

func (s *Service) checksBackupCodes(u *user.User) bool {
	return s.Enabled(BackupCodeFactor) && u.HasSecondFactor() && u.BackupCodes > 0
}

// VerifyCode checks a code an app collected from u — one from their
// authenticator app or one of their backup codes — with the checks sign-in's
// second step makes (VerifyTOTP, UseBackupCode): an app code's time step is
// spent, so neither this nor sign-in accepts that code again, and a backup
// code is spent. Sign-in writes no event for either, nor does this. It
// answers what the code was checked as, TOTPFactor or BackupCodeFactor. Six
// digits (mfa.LooksLikeTOTPCode) are checked as the app's code and, when
// that fails, as a backup code, since one imported from another system may
// be six digits too; a failure of those is answered as TOTPFactor, and any
// other code is a backup code. A failure is ErrIncorrectCode whatever the
// cause; it does not count towards the lockout, so the caller limits
// guesses.
func (s *Service) VerifyCode(ctx context.Context, u *user.User, code string) (string, error) {
	shown := BackupCodeFactor // what a failure is answered as
	if mfa.LooksLikeTOTPCode(code) {
		shown = TOTPFactor
		if s.checksTOTP(u) {
			if err := s.VerifyTOTP(ctx, u.ID, code); !errors.Is(err, ErrBadCode) {
				return TOTPFactor, err // accepted, or not checked at all
			}
		}
	}
	if !s.checksBackupCodes(u) {
		return shown, ErrIncorrectCode
	}
	if err := s.UseBackupCode(ctx, u.ID, code); errors.Is(err, ErrBadCode) {
		return shown, ErrIncorrectCode
	} else if err != nil {
		return shown, err
	}
	return BackupCodeFactor, nil
}

// FinishPasskey adds the passkey the browser created (see
// passkey.Service.FinishRegistration) and records the change.
func (s *Service) FinishPasskey(ctx context.Context, userID, challengeID string, response []byte, userAgent string) (*passkey.Credential, error) {
	cred, err := s.Passkeys.FinishRegistration(ctx, userID, challengeID, response, userAgent)
	if err != nil {
		return nil, err
	}
	return cred, s.InTx(ctx, func(r Repo) error { return s.userUpdated(ctx, r, userID, s.Clock.Now()) })
}

// RemovePasskey removes a passkey of userID unless the account would be
// left without a way to sign in (user.CanSignIn, REQ-WA-10) — for the
// person on /user/security and the operator through the Backend API alike.
// The rule is judged after the deletion, inside the transaction that holds
// the user's row lock, so a concurrent removal of another way in cannot
// slip between the check and the change (REQ-AC-06); a refusal rolls the
// deletion back. user.ErrNoUser when there is no such user.
func (s *Service) RemovePasskey(ctx context.Context, userID string, id []byte) error {
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if _, err := lockedUser(ctx, r, userID); err != nil {
			return err
		}
		if err := r.DeleteCredential(ctx, userID, id); errors.Is(err, apperr.ErrNotFound) {
			return errNoPasskey
		} else if err != nil {
			return err
		}
		rest, err := r.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if !rest.CanSignIn(s.SignIn) {
			return ErrLastWay
		}
		return s.userUpdated(ctx, r, userID, now)
	})
}

func (s *Service) userUpdated(ctx context.Context, r Repo, userID string, now time.Time) error {
	if err := r.TouchUser(ctx, userID, now); err != nil {
		return fmt.Errorf("factors: touch user: %w", err)
	}
	u, err := r.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	e, err := events.New(events.UserUpdated, u.ID, u.ToObject(now, s.UserAbilities), now)
	if err != nil {
		return err
	}
	return r.InsertEvent(ctx, e)
}
