package factors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/mfa"
	"github.com/portalhq/portal/internal/user"
)

// Imported is an authenticator app and backup codes a user brings from
// another system (the Backend API's totp_secret and backup_codes, on POST
// /v1/users and PATCH /v1/users/{id}): checked, the secret sealed and the
// plain codes hashed, ready to be stored in the transaction that makes or
// changes the user.
type Imported struct {
	TOTP  *TOTP        // confirmed, as if set up here; nil when none was given
	Codes []BackupCode // none when none were given
}

// ImportRepo is what storing an import needs, inside the transaction that
// makes or changes the user.
type ImportRepo interface {
	// DeleteTOTP removes the user's secret, confirmed or not;
	// apperr.ErrNotFound when there is none.
	DeleteTOTP(ctx context.Context, userID string) error
	// InsertTOTP stores t as it is, confirmed or not, for a user who has
	// none.
	InsertTOTP(ctx context.Context, t TOTP) error
	ReplaceBackupCodes(ctx context.Context, userID string, codes []BackupCode) error
}

// MaxImportedBackupCodes is the most backup codes one user brings: the
// portal issues 10, other systems up to 16; each unused one is checked at
// every attempt.
const MaxImportedBackupCodes = 20

// Refusals of an import, each naming the parameter at fault, with the
// Backend API's codes (Clerk's, from its errors index).
var (
	errImportTOTPOff = apperr.Field(apperr.Invalid, "totp_secret", "Authenticator apps are not a second factor "+
		"on this instance (PORTAL_SECOND_FACTORS lacks totp): import the user without totp_secret, or turn them on.").
		Coded("feature_not_enabled")
	errImportCodesOff = apperr.Field(apperr.Invalid, "backup_codes", "Backup codes are not a second factor "+
		"on this instance (PORTAL_SECOND_FACTORS lacks backup_code): import the user without backup_codes, or turn them on.").
		Coded("feature_not_enabled")
	errImportCodesAlone = apperr.Field(apperr.Invalid, "totp_secret", "totp_secret is required when backup_codes "+
		"is present: backup codes stand in for another second factor, and count for nothing without one. Give the "+
		"user's authenticator-app secret too, or leave backup_codes out (the user gets new codes with their first "+
		"second factor).").Coded("form_conditional_param_missing")
	errImportRace = apperr.New(apperr.Conflict, "The user began setting up an authenticator app at the same "+
		"moment. Please try again.").Coded("resource_locked")
	errImportTooManyCodes = apperr.Field(apperr.Invalid, "backup_codes",
		fmt.Sprintf("backup_codes should not exceed %d items.", MaxImportedBackupCodes)).Coded("form_param_array_size_exceeded")
)

// Import checks what u brings from another system — secret, a Base32 TOTP
// secret for 30-second six-digit SHA-1 codes, and codes, backup codes plain
// or as bcrypt digests — and prepares it to store with Imported.Save. u is
// a user about to be made (POST /v1/users), or one as it is under the row
// lock of the transaction that changes it (PATCH /v1/users/{id}). Each must
// be a second factor the instance offers, and backup codes need one to
// stand in for, as they come with the first second factor here: the secret,
// or one u has (an authenticator app or text-message codes). A nil secret
// and no codes import nothing (nil).
func (s *Service) Import(u *user.User, secret *string, codes []string, now time.Time) (*Imported, error) {
	userID := u.ID
	if secret == nil && len(codes) == 0 {
		return nil, nil
	}
	if secret != nil && !s.Enabled(TOTPFactor) {
		return nil, errImportTOTPOff
	}
	if len(codes) > 0 && !s.Enabled(BackupCodeFactor) {
		return nil, errImportCodesOff
	}
	im := &Imported{}
	if secret != nil {
		canonical, err := mfa.ParseTOTPSecret(*secret)
		if err != nil {
			return nil, badSecret(err)
		}
		sealed, err := sealSecret(s.Key, userID, canonical)
		if err != nil {
			return nil, err
		}
		im.TOTP = &TOTP{UserID: userID, Secret: sealed, ConfirmedAt: &now, CreatedAt: now}
	}
	if len(codes) == 0 {
		return im, nil
	}
	if im.TOTP == nil && !u.HasSecondFactor() {
		return nil, errImportCodesAlone
	}
	if len(codes) > MaxImportedBackupCodes {
		return nil, errImportTooManyCodes
	}
	seen := make(map[string]bool, len(codes))
	for i, c := range codes {
		stored, key, err := mfa.ImportBackupCode(c)
		if err != nil {
			return nil, badCode(i, len(codes), err)
		}
		if seen[key] {
			return nil, apperr.Field(apperr.Invalid, "backup_codes", fmt.Sprintf(
				"Backup code %d of %d is given twice: backup_codes contains duplicate values.", i+1, len(codes))).
				Coded("form_param_duplicate")
		}
		seen[key] = true
		im.Codes = append(im.Codes, BackupCode{ID: newID("bkc"), UserID: userID, Hash: stored, CreatedAt: now})
	}
	return im, nil
}

// Save stores im for the user it was prepared for, in r, the transaction
// that makes or changes the user. The secret replaces any authenticator app
// the user has — confirmed, or a setup under way on the account page — as
// removing it and setting up another there would, and the codes replace the
// user's backup codes, used or not; what was not given is left as it is.
func (im *Imported) Save(ctx context.Context, r ImportRepo) error {
	if im == nil {
		return nil
	}
	if im.TOTP != nil {
		if err := r.DeleteTOTP(ctx, im.TOTP.UserID); err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return fmt.Errorf("factors: import TOTP: %w", err)
		}
		if err := r.InsertTOTP(ctx, *im.TOTP); errors.Is(err, apperr.ErrConflict) {
			// A setup begun on the account page between the two.
			return errImportRace
		} else if err != nil {
			return fmt.Errorf("factors: import TOTP: %w", err)
		}
	}
	if len(im.Codes) > 0 {
		if err := r.ReplaceBackupCodes(ctx, im.Codes[0].UserID, im.Codes); err != nil {
			return fmt.Errorf("factors: import backup codes: %w", err)
		}
	}
	return nil
}

func badSecret(err error) error {
	why := "is not Base32 (the letters A to Z and the digits 2 to 7)"
	switch {
	case errors.Is(err, mfa.ErrSecretTooShort):
		why = fmt.Sprintf("is too short: it needs at least %d bits, %d Base32 characters",
			mfa.MinImportedSecretBytes*8, mfa.MinImportedSecretBytes*8/5)
	case errors.Is(err, mfa.ErrSecretTooLong):
		why = fmt.Sprintf("is too long: at most %d bits", mfa.MaxImportedSecretBytes*8)
	}
	return apperr.Field(apperr.Invalid, "totp_secret", "The TOTP secret "+why+
		". Give it as the authenticator app was given it: Base32, for 30-second, six-digit SHA-1 codes.").
		Coded("invalid_totp_secret_code")
}

func badCode(i, n int, err error) error {
	why := "is empty"
	switch {
	case errors.Is(err, mfa.ErrCodeDigest):
		why = fmt.Sprintf("is not a whole bcrypt digest ($2a$, $2b$ or $2y$, cost at most %d)", mfa.BcryptMaxCost)
	case errors.Is(err, mfa.ErrCodeCharacters):
		why = "has characters other than printable ASCII"
	case errors.Is(err, mfa.ErrCodeLength):
		why = fmt.Sprintf("must be %d to %d characters long, dashes and spaces aside",
			mfa.MinBackupCodeLength, mfa.MaxBackupCodeLength)
	}
	return apperr.Field(apperr.Invalid, "backup_codes", fmt.Sprintf("Backup code %d of %d %s. Give each code "+
		"as the person types it, or its bcrypt digest.", i+1, n, why))
}
