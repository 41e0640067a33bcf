package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/user"
)

const userCols = `id, first_name, last_name, password_hash, primary_email_id, banned,
	failed_sign_ins, locked_until, last_sign_in_at, created_at, updated_at, primary_phone_id,
	public_metadata, private_metadata, unsafe_metadata, external_id, admin_locked, legal_accepted_at, last_active_at,
	password_compromised_at, locale, locale_chosen`

// userImageCol follows userCols in every SELECT that scanUser reads: the
// profile image's ID, "" without one.
func userImageCol(table string) string {
	return `COALESCE((SELECT i.id FROM user_images i WHERE i.user_id = ` + table + `.id), '')`
}

// CreateUser inserts u and its identifiers, all or nothing. A taken
// identifier or external ID is ErrConflict.
func (q *Q) CreateUser(ctx context.Context, u *user.User) error {
	return q.atomic(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			u.ID, u.FirstName, u.LastName, u.PasswordHash, u.PrimaryEmailID, u.Banned,
			u.FailedSignIns, msPtr(u.LockedUntil), msPtr(u.LastSignInAt), ms(u.CreatedAt), ms(u.UpdatedAt),
			u.PrimaryPhoneID,
			metadata(u.PublicMetadata), metadata(u.PrivateMetadata), metadata(u.UnsafeMetadata), u.ExternalID, u.AdminLocked,
			msPtr(u.LegalAcceptedAt), msPtr(u.LastActiveAt), msPtr(u.PasswordCompromisedAt), u.Locale, u.LocaleChosen)
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		for _, i := range u.Identifiers {
			if err := q.CreateIdentifier(ctx, i); err != nil {
				return err
			}
		}
		for _, x := range u.ExternalAccounts {
			if err := q.CreateExternalAccount(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
}

// CreateIdentifier inserts an email address or phone number of a user.
func (q *Q) CreateIdentifier(ctx context.Context, i user.Identifier) error {
	_, err := q.exec(ctx, `INSERT INTO identifiers (id, user_id, kind, value, verified_at, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?)`, i.ID, i.UserID, i.Kind, i.Value, msPtr(i.VerifiedAt), ms(i.CreatedAt), ms(i.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// UserByID returns the user with its identifiers.
func (q *Q) UserByID(ctx context.Context, id string) (*user.User, error) {
	u, err := q.scanUser(q.row(ctx, `SELECT `+userCols+`, `+userImageCol("users")+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	if err := q.loadIdentifiers(ctx, u); err != nil {
		return nil, err
	}
	if err := q.loadFactors(ctx, u); err != nil {
		return nil, err
	}
	return u, q.loadExternalAccounts(ctx, u)
}

// UserStanding reads whether the user is banned or admin-locked
// (ErrNotFound when there is no such user): one narrow query for the token
// refresh and the start of a session, which must stay cheap.
func (q *Q) UserStanding(ctx context.Context, id string) (user.Standing, error) {
	var st user.Standing
	err := q.row(ctx, `SELECT banned, admin_locked FROM users WHERE id = ?`, id).Scan(&st.Banned, &st.AdminLocked)
	if errors.Is(err, sql.ErrNoRows) {
		return user.Standing{}, ErrNotFound
	}
	return st, err
}

// SignInOwner is the ID of the user kind/value signs in: an identifier the
// user verified, or a username; ErrNotFound otherwise. One indexed lookup,
// whether or not there is an account, so the identifier step takes the same
// time for both (REQ-RL-05).
func (q *Q) SignInOwner(ctx context.Context, kind, value string) (string, error) {
	var uid string
	err := q.row(ctx, `SELECT user_id FROM identifiers WHERE kind = ? AND value = ? AND (verified_at IS NOT NULL OR kind = ?)`,
		kind, value, user.Username).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return uid, err
}

// UserByIdentifier finds the user owning kind/value (value normalised).
func (q *Q) UserByIdentifier(ctx context.Context, kind, value string) (*user.User, error) {
	var uid string
	err := q.row(ctx, `SELECT user_id FROM identifiers WHERE kind = ? AND value = ?`, kind, value).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return q.UserByID(ctx, uid)
}

// SetPassword stores a new password hash. A new password is no longer the
// one marked as compromised: the mark goes with the old one.
func (q *Q) SetPassword(ctx context.Context, userID, hash string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET password_hash = ?, password_compromised_at = NULL, updated_at = ?
		WHERE id = ?`, hash, ms(at), userID))
}

// MarkPasswordCompromised marks the user's password as compromised at at,
// as the Backend API's set_compromised does, when it is still the one
// whose hash is hash (a password set meanwhile is not marked) and not
// marked already (the first mark's time stands). Nothing the user object
// shows changes, not even updated_at; no match is no error.
func (q *Q) MarkPasswordCompromised(ctx context.Context, userID, hash string, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE users SET password_compromised_at = ?
		WHERE id = ? AND password_hash = ? AND password_hash <> '' AND password_compromised_at IS NULL`, ms(at), userID, hash)
	return err
}

// RehashPassword replaces the stored hash of the same password with newHash
// (stronger parameters), only while the stored hash is still oldHash: a
// password set meanwhile is not overwritten (ErrConflict). It is the same
// password, so a compromised mark stays and nothing the user object shows
// changes, not even updated_at. ErrNotFound when there is no such user.
func (q *Q) RehashPassword(ctx context.Context, userID, oldHash, newHash string) error {
	res, err := q.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, userID, oldHash)
	return matchedOne(res, err, func() error {
		_, err := q.UserStanding(ctx, userID)
		return err
	})
}

// RecordFailedSignIn counts a failed password attempt and locks the account
// for lockFor once threshold consecutive failures are reached, in one
// statement so concurrent failures are all counted. A lock that has run out
// starts the count again, so one failure after a lockout does not lock the
// account for another full period (malicious lockout, REQ-RL-02). It
// reports whether this failure locked the account.
func (q *Q) RecordFailedSignIn(ctx context.Context, userID string, threshold int, lockFor time.Duration, now time.Time) (bool, error) {
	const count = `CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN 1 ELSE failed_sign_ins + 1 END`
	var n int
	err := q.row(ctx, `UPDATE users SET
			failed_sign_ins = `+count+`,
			locked_until = CASE
				WHEN `+count+` >= ? THEN ?
				WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL
				ELSE locked_until END
		WHERE id = ? RETURNING failed_sign_ins`, ms(now), ms(now), threshold, ms(now.Add(lockFor)), ms(now), userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	// Only the attempt that reaches the threshold locks: later ones are
	// refused before they are counted.
	return err == nil && n == threshold, err
}

// RecordSignIn resets the failure count after a successful sign-in.
func (q *Q) RecordSignIn(ctx context.Context, userID string, now time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET failed_sign_ins = 0, locked_until = NULL,
		last_sign_in_at = ? WHERE id = ?`, ms(now), userID))
}

func (q *Q) loadIdentifiers(ctx context.Context, u *user.User) error {
	rows, err := q.query(ctx, `SELECT id, user_id, kind, value, verified_at, created_at, updated_at
		FROM identifiers WHERE user_id = ? ORDER BY created_at, id`, u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	u.Identifiers = u.Identifiers[:0]
	for rows.Next() {
		var (
			i        user.Identifier
			verified sql.NullInt64
			c, up    int64
		)
		if err := rows.Scan(&i.ID, &i.UserID, &i.Kind, &i.Value, &verified, &c, &up); err != nil {
			return err
		}
		i.VerifiedAt, i.CreatedAt, i.UpdatedAt = fromNullMS(verified), fromMS(c), fromMS(up)
		u.Identifiers = append(u.Identifiers, i)
	}
	return rows.Err()
}

// metadata is what a metadata column holds for m: a JSON object, {} when unset.
func metadata(m []byte) string {
	if len(m) == 0 {
		return "{}"
	}
	return string(m)
}

func (q *Q) scanUser(r scanner) (*user.User, error) {
	var (
		u                    user.User
		locked, last, legal  sql.NullInt64
		active, compromised  sql.NullInt64
		created, updated     int64
		public, priv, unsafe string
	)
	err := r.Scan(&u.ID, &u.FirstName, &u.LastName, &u.PasswordHash, &u.PrimaryEmailID, &u.Banned,
		&u.FailedSignIns, &locked, &last, &created, &updated, &u.PrimaryPhoneID,
		&public, &priv, &unsafe, &u.ExternalID, &u.AdminLocked, &legal, &active, &compromised, &u.Locale, &u.LocaleChosen, &u.ImageID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.LockedUntil, u.LastSignInAt, u.LegalAcceptedAt = fromNullMS(locked), fromNullMS(last), fromNullMS(legal)
	u.LastActiveAt, u.PasswordCompromisedAt = fromNullMS(active), fromNullMS(compromised)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata = []byte(public), []byte(priv), []byte(unsafe)
	if u.ImageID != "" {
		u.ImageURL = q.images + "/images/" + u.ImageID + ".png"
	}
	return &u, nil
}

// expectOne turns "no row changed" into ErrNotFound.
// matchedOne answers a conditional UPDATE of one row: nil when it changed
// the row; otherwise exists's error when the row is gone (ErrNotFound), or
// ErrConflict when the row is there but no longer matched (another change
// came first). A nil exists means only ErrConflict.
func matchedOne(res sql.Result, err error, exists func() error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if exists != nil {
		if err := exists(); err != nil {
			return err
		}
	}
	return ErrConflict
}

func (q *Q) expectOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
