package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/org"
)

const orgCols = `id, name, slug, logo_version, max_members, created_by, created_at, updated_at,
	public_metadata, private_metadata`

// CreateOrganization inserts o; a taken slug is ErrConflict.
func (q *Q) CreateOrganization(ctx context.Context, o *org.Organization) error {
	_, err := q.exec(ctx, `INSERT INTO organizations (`+orgCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		o.ID, o.Name, o.Slug, o.LogoVersion, o.MaxMembers, o.CreatedBy, ms(o.CreatedAt), ms(o.UpdatedAt),
		metadata(o.PublicMetadata), metadata(o.PrivateMetadata))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// OrganizationByID returns an organization.
func (q *Q) OrganizationByID(ctx context.Context, id string) (*org.Organization, error) {
	return scanOrg(q.row(ctx, `SELECT `+orgCols+` FROM organizations WHERE id = ?`, id))
}

// OrganizationBySlug returns the organization with slug.
func (q *Q) OrganizationBySlug(ctx context.Context, slug string) (*org.Organization, error) {
	return scanOrg(q.row(ctx, `SELECT `+orgCols+` FROM organizations WHERE slug = ?`, slug))
}

// LockOrganization reads an organization and, inside a transaction, keeps
// others from changing it until the transaction ends: FOR UPDATE on
// PostgreSQL; SQLite transactions already hold the database's write lock
// from their start (BEGIN IMMEDIATE).
func (q *Q) LockOrganization(ctx context.Context, id string) (*org.Organization, error) {
	return scanOrg(q.row(ctx, `SELECT `+orgCols+` FROM organizations WHERE id = ?`+q.forUpdate(), id))
}

// LockUser holds a user's row until the transaction ends (see
// LockOrganization) against other changes of the user, but not against
// rows that merely point at it: on PostgreSQL FOR NO KEY UPDATE, which a
// foreign-key check's FOR KEY SHARE does not wait for. With FOR UPDATE, a
// transaction holding the user and then locking an organization (an
// address verified, enrolling it) and one holding the organization and
// then adding the user as a member deadlocked.
func (q *Q) LockUser(ctx context.Context, userID string) error {
	lock := ""
	if q.d == Postgres {
		lock = " FOR NO KEY UPDATE"
	}
	var id string
	err := q.row(ctx, `SELECT id FROM users WHERE id = ?`+lock, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// LockName holds the lock called name until the transaction ends, so that
// two transactions that check for something and then write it (an
// invitation to an address) run one after the other: an advisory lock on
// PostgreSQL; SQLite transactions already hold the write lock from their
// start.
func (q *Q) LockName(ctx context.Context, name string) error {
	if q.d != Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("portal lock " + name))
	_, err := q.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64()))
	return err
}

func (q *Q) forUpdate() string {
	if q.d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// UpdateOrganization saves name, slug, logo version, limit and metadata; a
// taken slug is ErrConflict.
func (q *Q) UpdateOrganization(ctx context.Context, o *org.Organization) error {
	res, err := q.exec(ctx, `UPDATE organizations SET name = ?, slug = ?, logo_version = ?, max_members = ?,
		updated_at = ?, public_metadata = ?, private_metadata = ? WHERE id = ?`,
		o.Name, o.Slug, o.LogoVersion, o.MaxMembers, ms(o.UpdatedAt),
		metadata(o.PublicMetadata), metadata(o.PrivateMetadata), o.ID)
	if isUnique(err) {
		return ErrConflict
	}
	return q.expectOne(res, err)
}

// DeleteOrganization removes an organization; its logo, memberships and
// invitations go with it (ON DELETE CASCADE on both engines).
func (q *Q) DeleteOrganization(ctx context.Context, id string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM organizations WHERE id = ?`, id))
}

// SetOrganizationLogo stores the logo, or removes it when logo is nil.
func (q *Q) SetOrganizationLogo(ctx context.Context, orgID string, logo *org.Logo) error {
	if logo == nil {
		_, err := q.exec(ctx, `DELETE FROM organization_logos WHERE org_id = ?`, orgID)
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO organization_logos (org_id, content_type, data) VALUES (?,?,?)
		ON CONFLICT (org_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data`,
		orgID, logo.ContentType, logo.Data)
	return err
}

// OrganizationLogo returns the stored logo.
func (q *Q) OrganizationLogo(ctx context.Context, orgID string) (*org.Logo, error) {
	var l org.Logo
	err := q.row(ctx, `SELECT content_type, data FROM organization_logos WHERE org_id = ?`, orgID).Scan(&l.ContentType, &l.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// CountOrganizationsCreatedBy counts the existing organizations userID created.
func (q *Q) CountOrganizationsCreatedBy(ctx context.Context, userID string) (int, error) {
	return q.count(ctx, `SELECT COUNT(*) FROM organizations WHERE created_by = ?`, userID)
}

func (q *Q) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := q.row(ctx, query, args...).Scan(&n)
	return n, err
}

// orgDest is where a row's orgCols go, and done what makes o of them once
// they are scanned: scanOrg and the rows that join an organization share it.
func orgDest(o *org.Organization) (dest []any, done func()) {
	var (
		created, updated int64
		public, private  string
	)
	dest = []any{&o.ID, &o.Name, &o.Slug, &o.LogoVersion, &o.MaxMembers, &o.CreatedBy, &created, &updated,
		&public, &private}
	return dest, func() {
		o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
		o.PublicMetadata, o.PrivateMetadata = json.RawMessage(public), json.RawMessage(private)
	}
}

func scanOrg(r scanner) (*org.Organization, error) {
	var o org.Organization
	dest, done := orgDest(&o)
	err := r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	done()
	return &o, nil
}

const memberCols = `id, org_id, user_id, role, created_at, updated_at, public_metadata, private_metadata`

// CreateMembership inserts m; a user already in the organization is ErrConflict.
func (q *Q) CreateMembership(ctx context.Context, m *org.Membership) error {
	return q.atomic(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO organization_memberships (`+memberCols+`) VALUES (?,?,?,?,?,?,?,?)`,
			m.ID, m.OrgID, m.UserID, m.Role, ms(m.CreatedAt), ms(m.UpdatedAt),
			metadata(m.PublicMetadata), metadata(m.PrivateMetadata))
		if isUnique(err) {
			return ErrConflict
		} else if err != nil {
			return err
		}
		// Joining answers an earlier decline (Declined); declined_at
		// stays as the record of it.
		_, err = q.exec(ctx, `UPDATE organization_invitations SET declined_by = NULL WHERE org_id = ? AND declined_by = ?`,
			m.OrgID, m.UserID)
		return err
	})
}

// MembershipByID returns a membership.
func (q *Q) MembershipByID(ctx context.Context, id string) (*org.Membership, error) {
	return scanMembership(q.row(ctx, `SELECT `+memberCols+` FROM organization_memberships WHERE id = ?`, id))
}

// MembershipOf returns userID's membership of orgID.
func (q *Q) MembershipOf(ctx context.Context, orgID, userID string) (*org.Membership, error) {
	return scanMembership(q.row(ctx, `SELECT `+memberCols+` FROM organization_memberships
		WHERE org_id = ? AND user_id = ?`, orgID, userID))
}

// UpdateMembershipRole sets a membership's role.
func (q *Q) UpdateMembershipRole(ctx context.Context, id, role string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE organization_memberships SET role = ?, updated_at = ? WHERE id = ?`,
		role, ms(at), id))
}

// UpdateMembershipMetadata saves a membership's metadata.
func (q *Q) UpdateMembershipMetadata(ctx context.Context, m *org.Membership) error {
	return q.expectOne(q.exec(ctx, `UPDATE organization_memberships SET public_metadata = ?, private_metadata = ?,
		updated_at = ? WHERE id = ?`, metadata(m.PublicMetadata), metadata(m.PrivateMetadata), ms(m.UpdatedAt), m.ID))
}

// DeleteMembership removes a membership.
func (q *Q) DeleteMembership(ctx context.Context, id string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM organization_memberships WHERE id = ?`, id))
}

// RecordRemoval notes that orgID removed the object id (a membership, a
// domain) at at, in the transaction that removes it.
func (q *Q) RecordRemoval(ctx context.Context, orgID, id string, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO organization_removals (id, org_id, removed_at) VALUES (?,?,?)
		ON CONFLICT (id) DO NOTHING`, id, orgID, ms(at))
	return err
}

// WasRemoved reports whether orgID removed the object id (RecordRemoval);
// an object of another organization is false.
func (q *Q) WasRemoved(ctx context.Context, orgID, id string) (bool, error) {
	n, err := q.count(ctx, `SELECT COUNT(*) FROM organization_removals WHERE id = ? AND org_id = ?`, id, orgID)
	return n > 0, err
}

// CountMembers counts an organization's members.
func (q *Q) CountMembers(ctx context.Context, orgID string) (int, error) {
	return q.count(ctx, `SELECT COUNT(*) FROM organization_memberships WHERE org_id = ?`, orgID)
}

// CountMembersWithRoles counts the members holding one of roles.
func (q *Q) CountMembersWithRoles(ctx context.Context, orgID string, roles []string) (int, error) {
	if len(roles) == 0 {
		return 0, nil
	}
	args := []any{orgID}
	for _, r := range roles {
		args = append(args, r)
	}
	return q.count(ctx, `SELECT COUNT(*) FROM organization_memberships WHERE org_id = ? AND role IN (?`+
		strings.Repeat(",?", len(roles)-1)+`)`, args...)
}

// ListMembers pages through an organization's members, oldest first,
// keeping those whose name, email address or username contains query
// (case-insensitive for ASCII), and returns the number matching.
func (q *Q) ListMembers(ctx context.Context, orgID, query string, limit, offset int) ([]org.Member, int, error) {
	return q.ListMemberships(ctx, orgID, org.MemberFilter{Query: query, Limit: limit, Offset: offset})
}

// ListMemberships is ListMembers with roles and user IDs to keep too (none
// = all) and an order: "-created_at" is newest first.
func (q *Q) ListMemberships(ctx context.Context, orgID string, f org.MemberFilter) ([]org.Member, int, error) {
	where := `m.org_id = ?`
	args := []any{orgID}
	if f.Query != "" {
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		where += ` AND (LOWER(u.first_name || ' ' || u.last_name) LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM identifiers i WHERE i.user_id = u.id
				AND i.kind IN ('email_address', 'username') AND i.value LIKE ? ESCAPE '\'))`
		args = append(args, like, like)
	}
	for _, in := range []struct {
		col  string
		vals []string
	}{{"m.role", f.Roles}, {"m.user_id", f.UserIDs}} {
		if len(in.vals) > 0 {
			where += ` AND ` + in.col + ` IN (` + placeholders(len(in.vals)) + `)`
			for _, v := range in.vals {
				args = append(args, v)
			}
		}
	}
	dir := "ASC"
	if strings.HasPrefix(f.OrderBy, "-") {
		dir = "DESC"
	}
	from := ` FROM organization_memberships m JOIN users u ON u.id = m.user_id WHERE ` + where
	total, err := q.count(ctx, `SELECT COUNT(*)`+from, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := q.query(ctx, `SELECT `+memberRowCols+from+` ORDER BY m.created_at `+dir+`, m.id `+dir+` LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []org.Member
	for rows.Next() {
		var m org.Member
		dest, done := q.memberDest(&m)
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, err
		}
		done()
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// memberRowCols are a membership m and the public details of its user u,
// their profile image's ID last; memberEmail and memberUsername are the
// user's primary address and username, also keys the instance's
// membership list orders by.
const (
	memberEmail    = `COALESCE((SELECT value FROM identifiers WHERE id = u.primary_email_id), '')`
	memberUsername = `COALESCE((SELECT MIN(value) FROM identifiers WHERE user_id = u.id AND kind = 'username'), '')`
)

var memberRowCols = `m.id, m.org_id, m.user_id, m.role, m.created_at, m.updated_at,
		m.public_metadata, m.private_metadata, u.first_name, u.last_name, ` + memberEmail + `, ` + memberUsername +
	`, ` + userImageCol("u")

// memberDest is where a row's memberRowCols go, and done what makes m of
// them once they are scanned.
func (q *Q) memberDest(m *org.Member) (dest []any, done func()) {
	var (
		created, updated int64
		public, private  string
		image            string
	)
	dest = []any{&m.ID, &m.OrgID, &m.UserID, &m.Role, &created, &updated, &public, &private,
		&m.FirstName, &m.LastName, &m.Email, &m.Username, &image}
	return dest, func() {
		m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
		m.PublicMetadata, m.PrivateMetadata = json.RawMessage(public), json.RawMessage(private)
		if image != "" {
			m.ImageURL = q.images + "/images/" + image + ".png"
		}
	}
}

// escapeLike makes % and _ in a search literal, with \ as the escape.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// OrganizationsOfUser lists the user's organizations, by name.
func (q *Q) OrganizationsOfUser(ctx context.Context, userID string) ([]org.UserOrg, error) {
	rows, err := q.query(ctx, `SELECT o.id, o.name, o.slug, o.logo_version, o.max_members, o.created_by,
			o.created_at, o.updated_at, m.id, m.role
		FROM organization_memberships m JOIN organizations o ON o.id = m.org_id
		WHERE m.user_id = ? ORDER BY LOWER(o.name), o.id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.UserOrg
	for rows.Next() {
		var (
			u                org.UserOrg
			created, updated int64
		)
		if err := rows.Scan(&u.ID, &u.Name, &u.Slug, &u.LogoVersion, &u.MaxMembers, &u.CreatedBy,
			&created, &updated, &u.MembershipID, &u.Role); err != nil {
			return nil, err
		}
		u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanMembership(r scanner) (*org.Membership, error) {
	var (
		m                org.Membership
		created, updated int64
		public, private  string
	)
	err := r.Scan(&m.ID, &m.OrgID, &m.UserID, &m.Role, &created, &updated, &public, &private)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
	m.PublicMetadata, m.PrivateMetadata = json.RawMessage(public), json.RawMessage(private)
	return &m, nil
}

const invitationCols = `id, org_id, email, role, status, ticket_hash, redirect_url, inviter_id,
	created_at, updated_at, expire_at, public_metadata, private_metadata`

// CreateInvitation inserts inv; a pending invitation to the same address
// in the organization is ErrConflict.
func (q *Q) CreateInvitation(ctx context.Context, inv *org.Invitation) error {
	_, err := q.exec(ctx, `INSERT INTO organization_invitations (`+invitationCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		inv.ID, inv.OrgID, inv.Email, inv.Role, inv.Status, inv.TicketHash, inv.RedirectURL, inv.InviterID,
		ms(inv.CreatedAt), ms(inv.UpdatedAt), ms(inv.ExpireAt), metadata(inv.PublicMetadata), metadata(inv.PrivateMetadata))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// InvitationByID returns an invitation.
func (q *Q) InvitationByID(ctx context.Context, id string) (*org.Invitation, error) {
	return scanInvitation(q.row(ctx, `SELECT `+invitationCols+` FROM organization_invitations WHERE id = ?`, id))
}

// InvitationByTicket returns the invitation whose ticket hashes to hash.
func (q *Q) InvitationByTicket(ctx context.Context, hash string) (*org.Invitation, error) {
	return scanInvitation(q.row(ctx, `SELECT `+invitationCols+` FROM organization_invitations WHERE ticket_hash = ?`, hash))
}

// RecordReplacedTicket keeps hash, the ticket of invitationID that a new
// one replaced at at, until expireAt, the new link's expiry
// (InvitationByReplacedTicket).
func (q *Q) RecordReplacedTicket(ctx context.Context, invitationID, hash string, at, expireAt time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO organization_invitation_replaced_tickets (ticket_hash, invitation_id, replaced_at, expire_at)
		VALUES (?,?,?,?) ON CONFLICT (ticket_hash) DO NOTHING`, hash, invitationID, ms(at), ms(expireAt))
	return err
}

// InvitationByReplacedTicket returns the invitation whose ticket hashing to
// hash was replaced (RecordReplacedTicket); ErrNotFound when none was.
func (q *Q) InvitationByReplacedTicket(ctx context.Context, hash string) (*org.Invitation, error) {
	return scanInvitation(q.row(ctx, `SELECT `+invitationCols+` FROM organization_invitations WHERE id =
		(SELECT invitation_id FROM organization_invitation_replaced_tickets WHERE ticket_hash = ?)`, hash))
}

// PendingInvitation returns the pending invitation to email, expired or not.
func (q *Q) PendingInvitation(ctx context.Context, orgID, email string) (*org.Invitation, error) {
	return scanInvitation(q.row(ctx, `SELECT `+invitationCols+` FROM organization_invitations
		WHERE org_id = ? AND email = ? AND status = 'pending'`, orgID, email))
}

// ListPendingInvitations lists pending invitations, newest first.
func (q *Q) ListPendingInvitations(ctx context.Context, orgID string) ([]org.Invitation, error) {
	rows, err := q.query(ctx, `SELECT `+invitationCols+` FROM organization_invitations
		WHERE org_id = ? AND status = 'pending' ORDER BY created_at DESC, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *inv)
	}
	return out, rows.Err()
}

// UpdateInvitation saves status, ticket, times and role when the stored
// status is still from; otherwise ErrConflict.
func (q *Q) UpdateInvitation(ctx context.Context, inv *org.Invitation, from string) error {
	res, err := q.exec(ctx, `UPDATE organization_invitations SET status = ?, ticket_hash = ?, role = ?,
		updated_at = ?, expire_at = ? WHERE id = ? AND status = ?`,
		inv.Status, inv.TicketHash, inv.Role, ms(inv.UpdatedAt), ms(inv.ExpireAt), inv.ID, from)
	return matchedOne(res, err, nil)
}

// RecordDecline notes that userID, whom the invitation was sent to,
// declined it (at), as opposed to an admin revoking it.
func (q *Q) RecordDecline(ctx context.Context, invitationID, userID string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE organization_invitations SET declined_at = ?, declined_by = ? WHERE id = ?`,
		ms(at), userID, invitationID))
}

// Declined reports whether userID declined an invitation of orgID
// (RecordDecline) and has not joined it since (CreateMembership).
func (q *Q) Declined(ctx context.Context, orgID, userID string) (bool, error) {
	var n int
	err := q.row(ctx, `SELECT count(*) FROM organization_invitations WHERE org_id = ? AND declined_by = ?`,
		orgID, userID).Scan(&n)
	return n > 0, err
}

// shownStatusIn is the condition (on organization_invitations as i) that
// keeps the invitations whose status, as org.Invitation.Shown reports it at
// now, is one of statuses, and its arguments.
func shownStatusIn(statuses []string, now time.Time) (string, []any) {
	conds, args := make([]string, 0, len(statuses)), make([]any, 0, len(statuses))
	for _, st := range statuses {
		switch st {
		case org.Pending:
			conds = append(conds, `(i.status = 'pending' AND i.expire_at > ?)`)
			args = append(args, ms(now))
		case org.Expired:
			conds = append(conds, `(i.status = 'expired' OR (i.status = 'pending' AND i.expire_at <= ?))`)
			args = append(args, ms(now))
		default:
			conds = append(conds, `i.status = ?`)
			args = append(args, st)
		}
	}
	return `(` + strings.Join(conds, ` OR `) + `)`, args
}

// InvitationsForUser pages through the invitations to any of f.Emails
// that f selects, each with its organization, and returns how many it
// selects. Statuses are read as org.Invitation.Shown reports them at f.Now.
func (q *Q) InvitationsForUser(ctx context.Context, userID string, f org.UserInvitationFilter) ([]org.UserInvitation, int, error) {
	if len(f.Emails) == 0 {
		return nil, 0, nil
	}
	where := ` WHERE i.email IN (` + placeholders(len(f.Emails)) + `)`
	args := make([]any, 0, len(f.Emails)+len(f.Statuses)+2)
	for _, e := range f.Emails {
		args = append(args, e)
	}
	if f.Joinable {
		where += ` AND i.status = 'pending' AND i.expire_at > ?
			AND NOT EXISTS (SELECT 1 FROM organization_memberships m WHERE m.org_id = i.org_id AND m.user_id = ?)`
		args = append(args, ms(f.Now), userID)
	}
	if len(f.Statuses) > 0 {
		cond, more := shownStatusIn(f.Statuses, f.Now)
		where += ` AND ` + cond
		args = append(args, more...)
	}
	from := ` FROM organization_invitations i JOIN organizations o ON o.id = i.org_id` + where
	order, page := ` ORDER BY i.created_at DESC, i.id DESC`, ``
	if f.Joinable {
		order = ` ORDER BY i.created_at, i.id`
	}
	a := q.adhoc()
	total := -1
	if f.Limit > 0 {
		n, err := a.count(ctx, `SELECT COUNT(*)`+from, args...)
		if err != nil {
			return nil, 0, err
		}
		total, page = n, ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	rows, err := a.query(ctx, `SELECT `+prefixed("i.", invitationCols)+`, `+prefixed("o.", orgCols)+from+order+page, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []org.UserInvitation
	for rows.Next() {
		var ui org.UserInvitation
		idest, idone := invitationDest(&ui.Invitation)
		odest, odone := orgDest(&ui.Org)
		if err := rows.Scan(append(idest, odest...)...); err != nil {
			return nil, 0, err
		}
		idone()
		odone()
		out = append(out, ui)
	}
	if total < 0 {
		total = len(out)
	}
	return out, total, rows.Err()
}

// invitationDest is where a row's invitationCols go, and done what makes i
// of them once they are scanned.
func invitationDest(i *org.Invitation) (dest []any, done func()) {
	var (
		created, updated, exp int64
		public, private       string
	)
	dest = []any{&i.ID, &i.OrgID, &i.Email, &i.Role, &i.Status, &i.TicketHash, &i.RedirectURL, &i.InviterID,
		&created, &updated, &exp, &public, &private}
	return dest, func() {
		i.CreatedAt, i.UpdatedAt, i.ExpireAt = fromMS(created), fromMS(updated), fromMS(exp)
		i.PublicMetadata, i.PrivateMetadata = json.RawMessage(public), json.RawMessage(private)
	}
}

func scanInvitation(r scanner) (*org.Invitation, error) {
	var i org.Invitation
	dest, done := invitationDest(&i)
	err := r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	done()
	return &i, nil
}

// SetSessionActiveOrg sets an active session's organization ("" = none).
func (q *Q) SetSessionActiveOrg(ctx context.Context, sessionID, orgID string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE sessions SET active_org_id = ?, updated_at = ?
		WHERE id = ? AND status = 'active'`, orgID, ms(at), sessionID))
}

// ClearActiveOrg unsets orgID as the active organization of userID's
// sessions, or of everyone's when userID is "".
func (q *Q) ClearActiveOrg(ctx context.Context, orgID, userID string, at time.Time) error {
	query, args := `UPDATE sessions SET active_org_id = '', updated_at = ? WHERE active_org_id = ?`, []any{ms(at), orgID}
	if userID != "" {
		query += ` AND user_id = ?`
		args = append(args, userID)
	}
	_, err := q.exec(ctx, query, args...)
	return err
}

// LastActiveOrg returns the active organization of the user's most recently
// changed other session that had one, or "".
func (q *Q) LastActiveOrg(ctx context.Context, userID, exceptSessionID string) (string, error) {
	var orgID string
	err := q.row(ctx, `SELECT active_org_id FROM sessions WHERE user_id = ? AND id <> ? AND active_org_id <> ''
		ORDER BY updated_at DESC, id LIMIT 1`, userID, exceptSessionID).Scan(&orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return orgID, err
}
