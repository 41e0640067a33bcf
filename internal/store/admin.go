package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// userWhere builds the WHERE clause of a user filter. Every value is a
// placeholder; column names come from admin.OrderColumns (REQ-IN-02).
func userWhere(f admin.UserFilter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	in := func(expr string, values []string) {
		if len(values) == 0 {
			return
		}
		conds = append(conds, expr+" IN ("+placeholders(len(values))+")")
		for _, v := range values {
			args = append(args, v)
		}
	}
	byIdentifier := func(kind string, values []string) {
		if len(values) == 0 {
			return
		}
		conds = append(conds, "u.id IN (SELECT user_id FROM identifiers WHERE kind = ? AND value IN ("+
			placeholders(len(values))+"))")
		args = append(args, kind)
		for _, v := range values {
			args = append(args, v)
		}
	}
	in("u.id", f.UserIDs)
	in("u.external_id", f.ExternalIDs)
	byIdentifier(user.Email, f.EmailAddresses)
	byIdentifier(user.Phone, f.PhoneNumbers)
	byIdentifier(user.Username, f.Usernames)
	if f.Banned != nil {
		conds = append(conds, "u.banned = ?")
		args = append(args, *f.Banned)
	}
	bound := func(expr string, t *time.Time) {
		if t != nil {
			conds = append(conds, expr+" ?")
			args = append(args, ms(*t))
		}
	}
	bound("u.created_at >", f.CreatedAfter)
	bound("u.created_at <", f.CreatedBefore)
	bound("u.last_active_at >", f.ActiveAfter)
	bound("u.last_active_at >=", f.ActiveSince)
	bound("u.last_active_at <", f.ActiveBefore)
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + escapeLike(strings.ToLower(q)) + "%"
		conds = append(conds, `(LOWER(u.id) LIKE ? ESCAPE '\' OR LOWER(u.first_name) LIKE ? ESCAPE '\'
			OR LOWER(u.last_name) LIKE ? ESCAPE '\' OR LOWER(u.first_name || ' ' || u.last_name) LIKE ? ESCAPE '\'
			OR LOWER(u.external_id) LIKE ? ESCAPE '\'
			OR u.id IN (SELECT user_id FROM identifiers WHERE LOWER(value) LIKE ? ESCAPE '\'))`)
		for range 6 {
			args = append(args, like)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// ListUsers returns one page of the users f selects, with their
// identifiers and connected accounts.
func (q *Q) ListUsers(ctx context.Context, f admin.UserFilter) ([]*user.User, error) {
	where, args := userWhere(f)
	dir := "ASC"
	if strings.HasPrefix(f.OrderBy, "-") {
		dir = "DESC"
	}
	col, ok := admin.OrderColumns()[strings.TrimLeft(f.OrderBy, "+-")]
	if !ok {
		col, dir = "created_at", "DESC"
	}
	// NULLs last either way, and names without regard to case, the same on
	// both engines.
	key := "u." + col
	if col == "first_name" || col == "last_name" {
		key = "LOWER(" + key + ")"
	}
	order := " ORDER BY (u." + col + " IS NULL), " + key + " " + dir + ", u.id " + dir
	rows, err := q.adhoc().query(ctx, `SELECT `+prefixed("u.", userCols)+`, `+userImageCol("u")+` FROM users u`+where+order+` LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	var out []*user.User
	for rows.Next() {
		u, err := q.scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, u := range out {
		if err := q.loadIdentifiers(ctx, u); err != nil {
			return nil, err
		}
		if err := q.loadExternalAccounts(ctx, u); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountUsers counts the users f selects.
func (q *Q) CountUsers(ctx context.Context, f admin.UserFilter) (int, error) {
	where, args := userWhere(f)
	var n int
	err := q.adhoc().row(ctx, `SELECT COUNT(*) FROM users u`+where, args...).Scan(&n)
	return n, err
}

func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// SaveUser writes the columns the Backend API changes; an external ID
// another user has is ErrConflict.
func (q *Q) SaveUser(ctx context.Context, u *user.User) error {
	err := q.expectOne(q.exec(ctx, `UPDATE users SET first_name = ?, last_name = ?, password_hash = ?,
			primary_email_id = ?, banned = ?, failed_sign_ins = ?, locked_until = ?, public_metadata = ?,
			private_metadata = ?, unsafe_metadata = ?, external_id = ?, admin_locked = ?, legal_accepted_at = ?,
			password_compromised_at = ?, locale = ?, locale_chosen = ?, updated_at = ?
		WHERE id = ?`,
		u.FirstName, u.LastName, u.PasswordHash, u.PrimaryEmailID, u.Banned, u.FailedSignIns, msPtr(u.LockedUntil),
		metadata(u.PublicMetadata), metadata(u.PrivateMetadata), metadata(u.UnsafeMetadata), u.ExternalID,
		u.AdminLocked, msPtr(u.LegalAcceptedAt), msPtr(u.PasswordCompromisedAt), u.Locale, u.LocaleChosen, ms(u.UpdatedAt), u.ID))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// SetIdentifierValue changes an identifier's value (a new username); a
// value taken by another user is ErrConflict.
func (q *Q) SetIdentifierValue(ctx context.Context, id, value string, at time.Time) error {
	err := q.expectOne(q.exec(ctx, `UPDATE identifiers SET value = ?, updated_at = ? WHERE id = ?`, value, ms(at), id))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

func sessionWhere(f admin.SessionFilter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	for _, c := range []struct{ col, v string }{{"user_id", f.UserID}, {"client_id", f.ClientID}, {"status", f.Status}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListSessions returns one page of the sessions f selects, newest first.
func (q *Q) ListSessions(ctx context.Context, f admin.SessionFilter) ([]session.Session, error) {
	where, args := sessionWhere(f)
	return q.sessions(ctx, `SELECT `+sessionCols+` FROM sessions`+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
}

// CountSessions counts the sessions f selects.
func (q *Q) CountSessions(ctx context.Context, f admin.SessionFilter) (int, error) {
	where, args := sessionWhere(f)
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM sessions`+where, args...).Scan(&n)
	return n, err
}

func notFoundIfNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
