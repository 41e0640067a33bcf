package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/user"
)

// SetNames changes a user's first and last name.
func (q *Q) SetNames(ctx context.Context, userID, first, last string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET first_name = ?, last_name = ?, updated_at = ? WHERE id = ?`,
		first, last, ms(at), userID))
}

// SetLocale sets the user's language, a BCP 47 tag the person chose.
func (q *Q) SetLocale(ctx context.Context, userID, locale string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET locale = ?, locale_chosen = ?, updated_at = ? WHERE id = ?`,
		locale, locale != "", ms(at), userID))
}

// SetUsername gives i.UserID the username i.Value, replacing the one it had
// (i's ID is used when it had none); an empty Value removes it. A username
// taken by someone else is ErrConflict.
func (q *Q) SetUsername(ctx context.Context, i user.Identifier) error {
	return q.atomic(ctx, func(q *Q) error {
		if i.Value == "" {
			_, err := q.exec(ctx, `DELETE FROM identifiers WHERE user_id = ? AND kind = ?`, i.UserID, user.Username)
			return err
		}
		res, err := q.exec(ctx, `UPDATE identifiers SET value = ?, updated_at = ? WHERE user_id = ? AND kind = ?`,
			i.Value, ms(i.UpdatedAt), i.UserID, user.Username)
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		i.Kind = user.Username
		return q.CreateIdentifier(ctx, i)
	})
}

// SetPrimaryEmail makes the verified email address identifierID the user's
// primary one; ErrNotFound when it is not a verified address of userID.
func (q *Q) SetPrimaryEmail(ctx context.Context, userID, identifierID string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET primary_email_id = ?, updated_at = ? WHERE id = ? AND EXISTS (
		SELECT 1 FROM identifiers WHERE id = ? AND user_id = ? AND kind = ? AND verified_at IS NOT NULL)`,
		identifierID, ms(at), userID, identifierID, userID, user.Email))
}

// SetPrimaryPhone makes the verified phone number identifierID the user's
// primary one; ErrNotFound when it is not a verified number of userID.
func (q *Q) SetPrimaryPhone(ctx context.Context, userID, identifierID string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET primary_phone_id = ?, updated_at = ? WHERE id = ? AND EXISTS (
		SELECT 1 FROM identifiers WHERE id = ? AND user_id = ? AND kind = ? AND verified_at IS NOT NULL)`,
		identifierID, ms(at), userID, identifierID, userID, user.Phone))
}

// DeleteIdentifier removes an email address or phone number of userID, and
// the user's primary pointers to it; ErrNotFound when it is not that user's
// (object-level check, REQ-AC-02).
func (q *Q) DeleteIdentifier(ctx context.Context, userID, id string) error {
	return q.atomic(ctx, func(q *Q) error {
		if err := q.expectOne(q.exec(ctx, `DELETE FROM identifiers WHERE id = ? AND user_id = ?`, id, userID)); err != nil {
			return err
		}
		_, err := q.exec(ctx, `UPDATE users SET
			primary_email_id = CASE WHEN primary_email_id = ? THEN '' ELSE primary_email_id END,
			primary_phone_id = CASE WHEN primary_phone_id = ? THEN '' ELSE primary_phone_id END
			WHERE id = ?`, id, id, userID)
		return err
	})
}

// DeleteUser removes a user with everything that belongs to it: identifiers,
// sessions, connected accounts, image.
func (q *Q) DeleteUser(ctx context.Context, userID string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM users WHERE id = ?`, userID))
}

// PutUserImage stores img as its user's profile image, replacing any
// previous one.
func (q *Q) PutUserImage(ctx context.Context, img user.Image) error {
	return q.atomic(ctx, func(q *Q) error {
		if _, err := q.exec(ctx, `DELETE FROM user_images WHERE user_id = ?`, img.UserID); err != nil {
			return err
		}
		_, err := q.exec(ctx, `INSERT INTO user_images (id, user_id, png, created_at) VALUES (?,?,?,?)`,
			img.ID, img.UserID, img.PNG, ms(img.CreatedAt))
		return err
	})
}

// DeleteUserImage removes the user's profile image; ErrNotFound when there
// is none.
func (q *Q) DeleteUserImage(ctx context.Context, userID string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM user_images WHERE user_id = ?`, userID))
}

// UserImage returns the image with that ID.
func (q *Q) UserImage(ctx context.Context, id string) (*user.Image, error) {
	var (
		img user.Image
		at  int64
	)
	err := q.row(ctx, `SELECT id, user_id, png, created_at FROM user_images WHERE id = ?`, id).
		Scan(&img.ID, &img.UserID, &img.PNG, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	img.CreatedAt = fromMS(at)
	return &img, nil
}

// IdentifierOwner returns the ID of the user an email address, phone number
// or username identifierID belongs to; ErrNotFound when there is none.
func (q *Q) IdentifierOwner(ctx context.Context, identifierID string) (string, error) {
	var uid string
	err := q.row(ctx, `SELECT user_id FROM identifiers WHERE id = ?`, identifierID).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return uid, err
}

// VerifyIdentifier marks the unverified identifier id of userID verified
// at at; ErrNotFound when it is not an unverified identifier of that user.
func (q *Q) VerifyIdentifier(ctx context.Context, userID, id string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE identifiers SET verified_at = ?, updated_at = ?
		WHERE id = ? AND user_id = ? AND verified_at IS NULL`, ms(at), ms(at), id, userID))
}
