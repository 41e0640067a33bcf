package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/org"
)

const domainCols = `id, org_id, name, enrollment_mode, verified_at, affiliation_email, created_at, updated_at`

// CreateDomain inserts d; a name the organization has already is
// ErrConflict.
func (q *Q) CreateDomain(ctx context.Context, d *org.Domain) error {
	_, err := q.exec(ctx, `INSERT INTO organization_domains (`+domainCols+`) VALUES (?,?,?,?,?,?,?,?)`,
		d.ID, d.OrgID, d.Name, d.EnrollmentMode, msPtr(d.VerifiedAt), d.AffiliationEmail, ms(d.CreatedAt), ms(d.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// DomainByID returns a domain.
func (q *Q) DomainByID(ctx context.Context, id string) (*org.Domain, error) {
	return scanDomain(q.row(ctx, `SELECT `+domainCols+` FROM organization_domains WHERE id = ?`, id))
}

// UpdateDomain saves the enrollment mode, the verification and updated_at.
func (q *Q) UpdateDomain(ctx context.Context, d *org.Domain) error {
	return q.expectOne(q.exec(ctx, `UPDATE organization_domains SET enrollment_mode = ?, verified_at = ?,
		affiliation_email = ?, updated_at = ? WHERE id = ?`,
		d.EnrollmentMode, msPtr(d.VerifiedAt), d.AffiliationEmail, ms(d.UpdatedAt), d.ID))
}

// DeleteDomain removes a domain.
func (q *Q) DeleteDomain(ctx context.Context, id string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM organization_domains WHERE id = ?`, id))
}

// ListDomains pages through an organization's domains f selects, by name,
// and returns the total selected.
func (q *Q) ListDomains(ctx context.Context, orgID string, f org.DomainFilter) ([]org.Domain, int, error) {
	where, args := ` WHERE org_id = ?`, []any{orgID}
	if f.Verified != nil {
		if *f.Verified {
			where += ` AND verified_at IS NOT NULL`
		} else {
			where += ` AND verified_at IS NULL`
		}
	}
	if len(f.Modes) > 0 {
		where += ` AND enrollment_mode IN (` + placeholders(len(f.Modes)) + `)`
		for _, m := range f.Modes {
			args = append(args, m)
		}
	}
	a := q.adhoc()
	total, err := a.count(ctx, `SELECT COUNT(*) FROM organization_domains`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := a.query(ctx, `SELECT `+domainCols+` FROM organization_domains`+where+` ORDER BY name, id LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	out, err := scanDomains(rows)
	return out, total, err
}

// VerifiedDomainsNamed lists the verified domains called name, of every
// organization, in enrollment mode mode.
func (q *Q) VerifiedDomainsNamed(ctx context.Context, name, mode string) ([]org.Domain, error) {
	rows, err := q.query(ctx, `SELECT `+domainCols+` FROM organization_domains
		WHERE name = ? AND enrollment_mode = ? AND verified_at IS NOT NULL ORDER BY org_id`, name, mode)
	if err != nil {
		return nil, err
	}
	return scanDomains(rows)
}

// VerifiedAddressesAt lists the verified email addresses at exactly domain
// (not its subdomains), with their users, by user and then address.
func (q *Q) VerifiedAddressesAt(ctx context.Context, domain string) ([]org.UserAddress, error) {
	rows, err := q.query(ctx, `SELECT user_id, value FROM identifiers
		WHERE kind = 'email_address' AND verified_at IS NOT NULL AND value LIKE ? ESCAPE '\'
		ORDER BY user_id, value`, "%@"+escapeLike(strings.ToLower(domain)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.UserAddress
	for rows.Next() {
		var a org.UserAddress
		if err := rows.Scan(&a.UserID, &a.Email); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CountPendingInvitationsAt counts an organization's pending invitations to
// addresses at exactly domain that have not expired at now.
func (q *Q) CountPendingInvitationsAt(ctx context.Context, orgID, domain string, now time.Time) (int, error) {
	return q.count(ctx, `SELECT COUNT(*) FROM organization_invitations
		WHERE org_id = ? AND status = 'pending' AND expire_at > ? AND email LIKE ? ESCAPE '\'`,
		orgID, ms(now), "%@"+escapeLike(strings.ToLower(domain)))
}

func scanDomains(rows *sql.Rows) ([]org.Domain, error) {
	defer rows.Close()
	var out []org.Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

func scanDomain(r scanner) (*org.Domain, error) {
	var (
		d                org.Domain
		verified         sql.NullInt64
		created, updated int64
	)
	err := r.Scan(&d.ID, &d.OrgID, &d.Name, &d.EnrollmentMode, &verified, &d.AffiliationEmail, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	d.VerifiedAt, d.CreatedAt, d.UpdatedAt = fromNullMS(verified), fromMS(created), fromMS(updated)
	return &d, nil
}
