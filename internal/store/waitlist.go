package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/waitlist"
)

// The waiting list (internal/waitlist). An entry is read together with the
// invitation it links to, whose status decides whether it shows as
// completed.

const waitlistSelect = `SELECT w.id, w.email, w.status, w.invitation_id, w.created_at, w.updated_at,
	i.id, i.email, i.public_metadata, i.redirect_url, i.ticket_hash, i.status,
	i.expires_at, i.created_at, i.updated_at, i.accepted_user_id
	FROM waitlist_entries w LEFT JOIN invitations i ON i.id = w.invitation_id`

// CreateWaitlistEntry inserts e; an address on the list already is
// ErrConflict.
func (q *Q) CreateWaitlistEntry(ctx context.Context, e *waitlist.Entry) error {
	_, err := q.exec(ctx, `INSERT INTO waitlist_entries (id, email, status, invitation_id, created_at, updated_at)
		VALUES (?,?,?,?,?,?)`, e.ID, e.Email, e.Status, nullString(e.InvitationID), ms(e.CreatedAt), ms(e.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// WaitlistEntryByID returns an entry with its invitation.
func (q *Q) WaitlistEntryByID(ctx context.Context, id string) (*waitlist.Entry, error) {
	return scanWaitlistEntry(q.row(ctx, waitlistSelect+` WHERE w.id = ?`, id))
}

// WaitlistEntryByEmail returns the entry of a normalised address.
func (q *Q) WaitlistEntryByEmail(ctx context.Context, email string) (*waitlist.Entry, error) {
	return scanWaitlistEntry(q.row(ctx, waitlistSelect+` WHERE w.email = ?`, email))
}

// ListWaitlistEntries returns the entries f selects, in f.OrderBy's order
// (checked by waitlist.Service.List), and how many there are. Completed
// selects invited entries whose invitation was accepted, invited the
// others.
func (q *Q) ListWaitlistEntries(ctx context.Context, f waitlist.Filter) ([]waitlist.Entry, int, error) {
	var conds []string
	var args []any
	if f.Query != "" {
		conds = append(conds, `(w.email LIKE ? ESCAPE '\' OR w.id = ?)`)
		args = append(args, "%"+escapeLike(strings.ToLower(f.Query))+"%", f.Query)
	}
	if len(f.Statuses) > 0 {
		var or []string
		for _, s := range f.Statuses {
			switch s {
			case waitlist.Completed:
				or = append(or, `(w.status = 'invited' AND i.status = 'accepted')`)
			case waitlist.Invited:
				or = append(or, `(w.status = 'invited' AND (i.status IS NULL OR i.status <> 'accepted'))`)
			default:
				or = append(or, `w.status = ?`)
				args = append(args, s)
			}
		}
		conds = append(conds, `(`+strings.Join(or, ` OR `)+`)`)
	}
	where := ""
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	a := q.adhoc()
	total, err := a.count(ctx, `SELECT COUNT(*) FROM waitlist_entries w LEFT JOIN invitations i ON i.id = w.invitation_id`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	dir := "ASC"
	if strings.HasPrefix(f.OrderBy, "-") {
		dir = "DESC"
	}
	key := "w.created_at"
	if strings.TrimLeft(f.OrderBy, "+-") == "email_address" {
		key = "w.email"
	}
	rows, err := a.query(ctx, waitlistSelect+where+` ORDER BY `+key+` `+dir+`, w.id `+dir+` LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []waitlist.Entry
	for rows.Next() {
		e, err := scanWaitlistEntry(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *e)
	}
	return out, total, rows.Err()
}

// UpdateWaitlistEntry saves status, invitation_id and updated_at when the
// stored status and invitation_id are still fromStatus and fromInvitation;
// otherwise ErrConflict (ErrNotFound when there is no such entry).
func (q *Q) UpdateWaitlistEntry(ctx context.Context, e *waitlist.Entry, fromStatus, fromInvitation string) error {
	res, err := q.exec(ctx, `UPDATE waitlist_entries SET status = ?, invitation_id = ?, updated_at = ?
		WHERE id = ? AND status = ? AND COALESCE(invitation_id, '') = ?`,
		e.Status, nullString(e.InvitationID), ms(e.UpdatedAt), e.ID, fromStatus, fromInvitation)
	return matchedOne(res, err, func() error { _, err := q.WaitlistEntryByID(ctx, e.ID); return err })
}

// DeleteWaitlistEntry deletes an entry; ErrNotFound when there is none.
func (q *Q) DeleteWaitlistEntry(ctx context.Context, id string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM waitlist_entries WHERE id = ?`, id))
}

func scanWaitlistEntry(r scanner) (*waitlist.Entry, error) {
	var (
		e                        waitlist.Entry
		invID                    sql.NullString
		created, updated         int64
		iID, iEmail, iMeta, iURL sql.NullString
		iHash, iStatus, iUser    sql.NullString
		iExp, iCreated, iUpdated sql.NullInt64
	)
	err := r.Scan(&e.ID, &e.Email, &e.Status, &invID, &created, &updated,
		&iID, &iEmail, &iMeta, &iURL, &iHash, &iStatus, &iExp, &iCreated, &iUpdated, &iUser)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	e.InvitationID, e.CreatedAt, e.UpdatedAt = invID.String, fromMS(created), fromMS(updated)
	if iID.Valid {
		e.Invitation = &invitation.Invitation{ID: iID.String, Email: iEmail.String, PublicMetadata: []byte(iMeta.String),
			RedirectURL: iURL.String, TicketHash: iHash.String, Status: iStatus.String, ExpiresAt: fromMS(iExp.Int64),
			CreatedAt: fromMS(iCreated.Int64), UpdatedAt: fromMS(iUpdated.Int64), AcceptedUserID: iUser.String}
	}
	return &e, nil
}

// nullString stores "" as NULL, for a column that references another
// table.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
