package store

import (
	"context"
	"strings"

	"github.com/portalhq/portal/internal/org"
)

// ListOrganizations pages through the organizations f selects (f already
// checked by org.Admin) and returns how many it selects in all.
func (q *Q) ListOrganizations(ctx context.Context, f org.OrgFilter) ([]org.Organization, int, error) {
	var (
		conds []string
		args  []any
	)
	if f.Query != "" {
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		conds = append(conds, `(LOWER(o.name) LIKE ? ESCAPE '\' OR o.slug LIKE ? ESCAPE '\' OR o.id LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if len(f.UserIDs) > 0 {
		conds = append(conds, `EXISTS (SELECT 1 FROM organization_memberships m WHERE m.org_id = o.id
			AND m.user_id IN (`+placeholders(len(f.UserIDs))+`))`)
		for _, u := range f.UserIDs {
			args = append(args, u)
		}
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	total, err := q.adhoc().count(ctx, `SELECT COUNT(*) FROM organizations o`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	dir := "ASC"
	if strings.HasPrefix(f.OrderBy, "-") {
		dir = "DESC"
	}
	var key string
	switch strings.TrimLeft(f.OrderBy, "+-") {
	case "name":
		key = "LOWER(o.name)"
	case "members_count":
		key = "(SELECT COUNT(*) FROM organization_memberships m WHERE m.org_id = o.id)"
	default:
		key = "o.created_at"
	}
	rows, err := q.adhoc().query(ctx, `SELECT `+prefixed("o.", orgCols)+` FROM organizations o`+where+
		` ORDER BY `+key+` `+dir+`, o.id `+dir+` LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []org.Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *o)
	}
	return out, total, rows.Err()
}

// ListInvitations pages through an organization's invitations with one of
// f's statuses (none = all) as org.Invitation.Shown reports them at f.Now,
// newest first, and returns how many match.
func (q *Q) ListInvitations(ctx context.Context, orgID string, f org.InvitationFilter) ([]org.Invitation, int, error) {
	where, args := ` WHERE i.org_id = ?`, []any{orgID}
	if len(f.Statuses) > 0 {
		cond, more := shownStatusIn(f.Statuses, f.Now)
		where += ` AND ` + cond
		args = append(args, more...)
	}
	total, err := q.count(ctx, `SELECT COUNT(*) FROM organization_invitations i`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := q.query(ctx, `SELECT `+invitationCols+` FROM organization_invitations i`+where+
		` ORDER BY i.created_at DESC, i.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []org.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *inv)
	}
	return out, total, rows.Err()
}

// instanceMemberKeys are the order_by keys of ListInstanceMemberships and
// the expressions they order by.
var instanceMemberKeys = map[string]string{
	"created_at":    "m.created_at",
	"email_address": memberEmail,
	"phone_number":  `COALESCE((SELECT value FROM identifiers WHERE id = u.primary_phone_id), '')`,
	"first_name":    "LOWER(u.first_name)",
	"last_name":     "LOWER(u.last_name)",
	"username":      memberUsername,
}

// ListInstanceMemberships pages through memberships across organizations
// (f already checked by org.Admin), each with its organization and the
// member's public details, and returns how many f selects. Members without
// the value ordered by (no phone number, no username) come last either way.
func (q *Q) ListInstanceMemberships(ctx context.Context, f org.InstanceMemberFilter) ([]org.OrgMember, int, error) {
	from := ` FROM organization_memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id`
	var args []any
	if f.UserID != "" {
		from += ` WHERE m.user_id = ?`
		args = append(args, f.UserID)
	}
	a := q.adhoc()
	total, err := a.count(ctx, `SELECT COUNT(*)`+from, args...)
	if err != nil {
		return nil, 0, err
	}
	dir := "ASC"
	if strings.HasPrefix(f.OrderBy, "-") {
		dir = "DESC"
	}
	name := strings.TrimLeft(f.OrderBy, "+-")
	key, ok := instanceMemberKeys[name]
	if !ok {
		name, dir = "created_at", "DESC"
		key = instanceMemberKeys[name]
	}
	order := ` ORDER BY `
	if name != "created_at" {
		order += `(` + key + ` = ''), `
	}
	order += key + ` ` + dir + `, m.id ` + dir
	rows, err := a.query(ctx, `SELECT `+memberRowCols+`, `+prefixed("o.", orgCols)+from+order+` LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []org.OrgMember
	for rows.Next() {
		var om org.OrgMember
		mdest, mdone := q.memberDest(&om.Member)
		odest, odone := orgDest(&om.Org)
		if err := rows.Scan(append(mdest, odest...)...); err != nil {
			return nil, 0, err
		}
		mdone()
		odone()
		out = append(out, om)
	}
	return out, total, rows.Err()
}
