package account

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/user"
)

// Profile is what the profile form sends.
type Profile struct {
	FirstName string
	LastName  string
	Username  string // ignored unless the instance has usernames
}

const maxName = 100

// UpdateProfile changes u's names and, where the instance has usernames,
// username. Every field's problem is reported at once.
func (s *Service) UpdateProfile(ctx context.Context, u *user.User, p Profile) error {
	fields := map[string]*apperr.Error{}
	first, last := strings.TrimSpace(p.FirstName), strings.TrimSpace(p.LastName)
	for name, v := range map[string]string{"first_name": first, "last_name": last} {
		if e := nameProblem(name, v); e != nil {
			fields[name] = e
		}
	}
	username := u.Username()
	if s.SignIn.Username {
		switch v, err := user.NormalizeUsername(p.Username); {
		case strings.TrimSpace(p.Username) == "" && username == "":
		case err != nil:
			fields["username"] = fieldError("username", err)
		default:
			if v == username { // one kept from before the lists changed stays
				break
			}
			if e, err := s.Restrict.CheckNew(ctx, user.Username, v); err != nil {
				return err
			} else if e != nil {
				fields["username"] = e
				break
			}
			username = v
		}
	}
	if len(fields) > 0 {
		return &FormError{Fields: fields}
	}
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := r.SetNames(ctx, u.ID, first, last, now); err != nil {
			return err
		}
		if username != u.Username() {
			err := r.SetUsername(ctx, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Value: username,
				CreatedAt: now, UpdatedAt: now})
			if errors.Is(err, apperr.ErrConflict) {
				return &FormError{Fields: map[string]*apperr.Error{"username": apperr.Field(apperr.Conflict, "username",
					"That username is taken. Please choose another.").T("account.error.username_taken")}}
			}
			if err != nil {
				return err
			}
		}
		return s.updated(ctx, r, u.ID, now)
	})
}

// SetLanguage makes locale, a language the portal speaks as the account
// page offers it, the user's: the notices to the owner are written in it
// (user.Locale), and, chosen (user.LocaleChosen), the language of their
// signed-in pages on a browser that has chosen none. It writes
// user.updated with the change (choosing the language the sign-up
// recorded marks it chosen, and moves updated_at); choosing it again
// changes nothing.
func (s *Service) SetLanguage(ctx context.Context, u *user.User, locale string) error {
	if _, err := language.Parse(locale); err != nil || locale == "" {
		return apperr.Field(apperr.Invalid, "locale", "Choose one of the languages in the list.").T("account.language.invalid")
	}
	if locale == u.Locale && u.LocaleChosen {
		return nil
	}
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := r.SetLocale(ctx, u.ID, locale, now); err != nil {
			return err
		}
		return s.updated(ctx, r, u.ID, now)
	})
}

func nameProblem(field, v string) *apperr.Error {
	switch {
	case !utf8.ValidString(v), strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return apperr.Field(apperr.Invalid, field, "Use letters, spaces and punctuation only.").T("account.error.name_characters")
	case utf8.RuneCountInString(v) > maxName:
		return apperr.Field(apperr.Invalid, field, fmt.Sprintf("Use at most %d characters.", maxName)).
			T("account.error.name_too_long", "Count", maxName)
	}
	return nil
}

// fieldError is err's safe message (and catalog ID) tied to field.
func fieldError(field string, err error) *apperr.Error {
	if e, ok := apperr.As(err); ok {
		c := *e
		c.Field, c.Err = field, nil
		return &c
	}
	return apperr.Field(apperr.Invalid, field, "This value isn't valid.").T("account.error.invalid_value")
}

// SetImage makes the picture read from src userID's profile image — for
// the person on /user and the operator through the Backend API alike.
// user.ErrNoUser when there is no such user.
func (s *Service) SetImage(ctx context.Context, userID string, src io.Reader) error {
	png, err := s.Images.PNG(ctx, src)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := lockUser(ctx, r, userID); err != nil {
			return err
		}
		if err := r.PutUserImage(ctx, user.Image{ID: id.New("img"), UserID: userID, PNG: png, CreatedAt: now}); err != nil {
			return err
		}
		if err := r.TouchUser(ctx, userID, now); err != nil {
			return err
		}
		return s.updated(ctx, r, userID, now)
	})
}

// RemoveImage takes userID's profile image away; initials show instead.
// Without an image nothing changes and no event is written.
func (s *Service) RemoveImage(ctx context.Context, userID string) error {
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := lockUser(ctx, r, userID); err != nil {
			return err
		}
		if err := r.DeleteUserImage(ctx, userID); isNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		if err := r.TouchUser(ctx, userID, now); err != nil {
			return err
		}
		return s.updated(ctx, r, userID, now)
	})
}
