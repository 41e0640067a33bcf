package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/invitation"
)

// Application invitations (internal/invitation), as opposed to an
// organization's (orgs.go): hence the App in the method names.

const appInvitationCols = `id, email, public_metadata, redirect_url, ticket_hash, status,
	expires_at, created_at, updated_at, accepted_user_id`

// CreateAppInvitation inserts inv; a ticket hash in use is ErrConflict.
func (q *Q) CreateAppInvitation(ctx context.Context, inv *invitation.Invitation) error {
	_, err := q.exec(ctx, `INSERT INTO invitations (`+appInvitationCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		inv.ID, inv.Email, metadata(inv.PublicMetadata), inv.RedirectURL, inv.TicketHash, inv.Status,
		ms(inv.ExpiresAt), ms(inv.CreatedAt), ms(inv.UpdatedAt), inv.AcceptedUserID)
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// InvitedAddress reports whether a live invitation, the application's or
// an organization's, was sent to email at now.
func (q *Q) InvitedAddress(ctx context.Context, email string, now time.Time) (bool, error) {
	var n int
	err := q.row(ctx, `SELECT
		(SELECT COUNT(*) FROM invitations WHERE email = ? AND status = 'pending' AND expires_at > ?) +
		(SELECT COUNT(*) FROM organization_invitations WHERE email = ? AND status = 'pending' AND expire_at > ?)`,
		email, ms(now), email, ms(now)).Scan(&n)
	return n > 0, err
}

// AppInvitationByID returns an invitation.
func (q *Q) AppInvitationByID(ctx context.Context, id string) (*invitation.Invitation, error) {
	return scanAppInvitation(q.row(ctx, `SELECT `+appInvitationCols+` FROM invitations WHERE id = ?`, id))
}

// AppInvitationByTicket returns the invitation whose ticket hashes to hash.
func (q *Q) AppInvitationByTicket(ctx context.Context, hash string) (*invitation.Invitation, error) {
	return scanAppInvitation(q.row(ctx, `SELECT `+appInvitationCols+` FROM invitations WHERE ticket_hash = ?`, hash))
}

// PendingAppInvitations lists the pending invitations to email, expired or
// not, newest first.
func (q *Q) PendingAppInvitations(ctx context.Context, email string) ([]invitation.Invitation, error) {
	rows, err := q.query(ctx, `SELECT `+appInvitationCols+` FROM invitations
		WHERE email = ? AND status = 'pending' ORDER BY created_at DESC, id DESC`, email)
	if err != nil {
		return nil, err
	}
	return scanAppInvitations(rows)
}

// ListAppInvitations returns the invitations f selects, newest first, and
// how many there are. Expired selects pending invitations past f.Now,
// pending only those before it.
func (q *Q) ListAppInvitations(ctx context.Context, f invitation.Filter) ([]invitation.Invitation, int, error) {
	where, args := "", []any{}
	if f.Query != "" {
		where = ` WHERE (email LIKE ? ESCAPE '\' OR id = ?)`
		args = append(args, "%"+escapeLike(strings.ToLower(f.Query))+"%", f.Query)
	}
	if len(f.Statuses) > 0 {
		var conds []string
		for _, s := range f.Statuses {
			switch s {
			case invitation.Pending:
				conds = append(conds, `(status = 'pending' AND expires_at > ?)`)
				args = append(args, ms(f.Now))
			case invitation.Expired:
				conds = append(conds, `(status = 'pending' AND expires_at <= ?)`)
				args = append(args, ms(f.Now))
			default:
				conds = append(conds, `status = ?`)
				args = append(args, s)
			}
		}
		if where == "" {
			where = ` WHERE `
		} else {
			where += ` AND `
		}
		where += `(` + strings.Join(conds, ` OR `) + `)`
	}
	a := q.adhoc()
	total, err := a.count(ctx, `SELECT COUNT(*) FROM invitations`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	dir := "ASC"
	if strings.HasPrefix(f.OrderBy, "-") {
		dir = "DESC"
	}
	key := "created_at" // checked by invitation.Service.List
	switch strings.TrimLeft(f.OrderBy, "+-") {
	case "email_address":
		key = "email"
	case "expires_at":
		key = "expires_at"
	}
	rows, err := a.query(ctx, `SELECT `+appInvitationCols+` FROM invitations`+where+
		` ORDER BY `+key+` `+dir+`, id `+dir+` LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	list, err := scanAppInvitations(rows)
	return list, total, err
}

// UpdateAppInvitation saves status, updated_at and accepted_user_id when
// the stored status is still from; otherwise ErrConflict (ErrNotFound when
// there is no such invitation).
func (q *Q) UpdateAppInvitation(ctx context.Context, inv *invitation.Invitation, from string) error {
	res, err := q.exec(ctx, `UPDATE invitations SET status = ?, updated_at = ?, accepted_user_id = ?
		WHERE id = ? AND status = ?`, inv.Status, ms(inv.UpdatedAt), inv.AcceptedUserID, inv.ID, from)
	return matchedOne(res, err, func() error { _, err := q.AppInvitationByID(ctx, inv.ID); return err })
}

// SetPublicMetadata replaces a user's public metadata.
func (q *Q) SetPublicMetadata(ctx context.Context, userID string, m json.RawMessage, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET public_metadata = ?, updated_at = ? WHERE id = ?`,
		metadata(m), ms(at), userID))
}

func scanAppInvitations(rows *sql.Rows) ([]invitation.Invitation, error) {
	defer rows.Close()
	var out []invitation.Invitation
	for rows.Next() {
		inv, err := scanAppInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *inv)
	}
	return out, rows.Err()
}

func scanAppInvitation(r scanner) (*invitation.Invitation, error) {
	var (
		i                     invitation.Invitation
		public                string
		expires, created, upd int64
	)
	err := r.Scan(&i.ID, &i.Email, &public, &i.RedirectURL, &i.TicketHash, &i.Status,
		&expires, &created, &upd, &i.AcceptedUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	i.PublicMetadata = json.RawMessage(public)
	i.ExpiresAt, i.CreatedAt, i.UpdatedAt = fromMS(expires), fromMS(created), fromMS(upd)
	return &i, nil
}
