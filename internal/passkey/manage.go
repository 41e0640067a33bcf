package passkey

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/apperr"
)

// MaxNameLength is the longest passkey name, in characters.
const MaxNameLength = 50

// Passkeys lists the user's passkeys, oldest first (REQ-WA-10).
func (s *Service) Passkeys(ctx context.Context, userID string) ([]Credential, error) {
	creds, err := s.store.CredentialsOfUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkey: credentials of user: %w", err)
	}
	slices.SortStableFunc(creds, func(a, b Credential) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return creds, nil
}

// Rename gives the user's passkey a name of their choosing.
func (s *Service) Rename(ctx context.Context, userID string, id []byte, name string) error {
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	return notFound(s.store.RenameCredential(ctx, userID, id, name))
}

// Remove deletes the user's passkey (REQ-WA-10). The caller should ask for a
// recent verification first, as for adding one.
func (s *Service) Remove(ctx context.Context, userID string, id []byte) error {
	return notFound(s.store.DeleteCredential(ctx, userID, id))
}

func notFound(err error) error {
	if errors.Is(err, apperr.ErrNotFound) {
		return fail(apperr.NotFound, msgNotFound, err)
	}
	if err != nil {
		return fmt.Errorf("passkey: %w", err)
	}
	return nil
}

// cleanName trims and folds runs of white space, and refuses control
// characters, which a name shown in lists and emails has no use for.
func cleanName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	bad := !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl)
	if bad || name == "" || utf8.RuneCountInString(name) > MaxNameLength {
		return "", apperr.Field(apperr.Invalid, "name", fmt.Sprintf("Enter a name of 1 to %d characters.", MaxNameLength)).
			T("account.error.passkey_name", "Count", MaxNameLength)
	}
	return name, nil
}

// EncodeID turns a credential ID into the text used in URLs and forms.
func EncodeID(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// DecodeID reverses EncodeID.
func DecodeID(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fail(apperr.NotFound, msgNotFound, fmt.Errorf("passkey: credential ID %q: %v", s, err))
	}
	return b, nil
}
