package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/org"
)

const suggestionCols = `id, org_id, user_id, email, status, requested_at, created_at, updated_at`

// CreateSuggestion inserts s; an open suggestion (pending or requested) of
// the organization to the user exists already: ErrConflict.
func (q *Q) CreateSuggestion(ctx context.Context, s *org.Suggestion) error {
	_, err := q.exec(ctx, `INSERT INTO organization_suggestions (`+suggestionCols+`) VALUES (?,?,?,?,?,?,?,?)`,
		s.ID, s.OrgID, s.UserID, s.Email, s.Status, msPtr(s.RequestedAt), ms(s.CreatedAt), ms(s.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// SuggestionByID returns a suggestion.
func (q *Q) SuggestionByID(ctx context.Context, id string) (*org.Suggestion, error) {
	return scanSuggestion(q.row(ctx, `SELECT `+suggestionCols+` FROM organization_suggestions WHERE id = ?`, id))
}

// LatestSuggestion is the newest suggestion of orgID to userID, whatever
// its status.
func (q *Q) LatestSuggestion(ctx context.Context, orgID, userID string) (*org.Suggestion, error) {
	return scanSuggestion(q.row(ctx, `SELECT `+suggestionCols+` FROM organization_suggestions
		WHERE org_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`, orgID, userID))
}

// UpdateSuggestion saves s's status, requested_at and updated_at if its
// status is still from: otherwise ErrNotFound when it is gone, ErrConflict
// when another change came first.
func (q *Q) UpdateSuggestion(ctx context.Context, s *org.Suggestion, from string) error {
	res, err := q.exec(ctx, `UPDATE organization_suggestions SET status = ?, requested_at = ?, updated_at = ?
		WHERE id = ? AND status = ?`, s.Status, msPtr(s.RequestedAt), ms(s.UpdatedAt), s.ID, from)
	return matchedOne(res, err, func() error {
		_, err := q.SuggestionByID(ctx, s.ID)
		return err
	})
}

// notMember is the condition that the suggestion s's person is not a
// member of its organization.
const notMember = `NOT EXISTS (SELECT 1 FROM organization_memberships m WHERE m.org_id = s.org_id AND m.user_id = s.user_id)`

// SuggestionsForUser lists userID's open suggestions made for any of
// emails, from organizations they do not belong to, oldest first, each
// with its organization.
func (q *Q) SuggestionsForUser(ctx context.Context, userID string, emails []string) ([]org.UserSuggestion, error) {
	if len(emails) == 0 {
		return nil, nil
	}
	args := []any{userID}
	for _, e := range emails {
		args = append(args, e)
	}
	rows, err := q.adhoc().query(ctx, `SELECT `+prefixed("s.", suggestionCols)+`, `+prefixed("o.", orgCols)+`
		FROM organization_suggestions s JOIN organizations o ON o.id = s.org_id
		WHERE s.user_id = ? AND s.status IN ('pending', 'requested') AND s.email IN (`+placeholders(len(emails))+`)
			AND `+notMember+`
		ORDER BY s.created_at, s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.UserSuggestion
	for rows.Next() {
		var (
			us                 org.UserSuggestion
			sg                 suggestionRow
			oCreated, oUpdated int64
			oPublic, oPrivate  string
		)
		o := &us.Org
		if err := rows.Scan(append(sg.dest(&us.Suggestion),
			&o.ID, &o.Name, &o.Slug, &o.LogoVersion, &o.MaxMembers, &o.CreatedBy, &oCreated, &oUpdated,
			&oPublic, &oPrivate)...); err != nil {
			return nil, err
		}
		sg.fill(&us.Suggestion)
		o.CreatedAt, o.UpdatedAt = fromMS(oCreated), fromMS(oUpdated)
		o.PublicMetadata, o.PrivateMetadata = []byte(oPublic), []byte(oPrivate)
		out = append(out, us)
	}
	return out, rows.Err()
}

// requestsWhere selects an organization's requests that can be answered:
// asked for, by someone who is not a member and still has the address
// the suggestion was made for.
const requestsWhere = ` FROM organization_suggestions s JOIN users u ON u.id = s.user_id
	WHERE s.org_id = ? AND s.status = 'requested' AND ` + notMember + `
		AND EXISTS (SELECT 1 FROM identifiers i WHERE i.user_id = s.user_id AND i.kind = 'email_address'
			AND i.value = s.email AND i.verified_at IS NOT NULL)`

// ListMembershipRequests pages through orgID's requests to join that can
// be answered, oldest request first, with the total.
func (q *Q) ListMembershipRequests(ctx context.Context, orgID string, limit, offset int) ([]org.MembershipRequest, int, error) {
	total, err := q.count(ctx, `SELECT COUNT(*)`+requestsWhere, orgID)
	if err != nil || limit <= 0 {
		return nil, total, err
	}
	rows, err := q.query(ctx, `SELECT `+prefixed("s.", suggestionCols)+`, u.first_name, u.last_name,
			COALESCE((SELECT MIN(value) FROM identifiers WHERE user_id = u.id AND kind = 'username'), '')`+
		requestsWhere+` ORDER BY s.requested_at, s.id LIMIT ? OFFSET ?`, orgID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []org.MembershipRequest
	for rows.Next() {
		var (
			mr org.MembershipRequest
			sg suggestionRow
		)
		if err := rows.Scan(append(sg.dest(&mr.Suggestion), &mr.FirstName, &mr.LastName, &mr.Username)...); err != nil {
			return nil, 0, err
		}
		sg.fill(&mr.Suggestion)
		out = append(out, mr)
	}
	return out, total, rows.Err()
}

// CountPendingSuggestionsAt counts orgID's suggestions not yet asked for,
// made for addresses at exactly domain, of people who are not members.
func (q *Q) CountPendingSuggestionsAt(ctx context.Context, orgID, domain string) (int, error) {
	return q.count(ctx, `SELECT COUNT(*) FROM organization_suggestions s
		WHERE s.org_id = ? AND s.status = 'pending' AND s.email LIKE ? ESCAPE '\' AND `+notMember,
		orgID, "%@"+escapeLike(strings.ToLower(domain)))
}

// WithdrawUncoveredSuggestions withdraws orgID's suggestions not yet asked
// for of people no verified domain of orgID in automatic_suggestion mode
// suggests it to any more (through any verified address of theirs,
// whichever address the suggestion was made for); it returns how many.
// Domain names hold only letters, digits, dots and hyphens
// (org.CleanDomain), so a stored name is safe in a LIKE pattern.
func (q *Q) WithdrawUncoveredSuggestions(ctx context.Context, orgID string, at time.Time) (int, error) {
	res, err := q.exec(ctx, `UPDATE organization_suggestions SET status = 'withdrawn', updated_at = ?
		WHERE org_id = ? AND status = 'pending'
			AND NOT EXISTS (SELECT 1 FROM identifiers i JOIN organization_domains d
				ON d.org_id = organization_suggestions.org_id AND d.verified_at IS NOT NULL
					AND d.enrollment_mode = 'automatic_suggestion' AND i.value LIKE ('%@' || d.name)
				WHERE i.user_id = organization_suggestions.user_id AND i.kind = 'email_address'
					AND i.verified_at IS NOT NULL)`,
		ms(at), orgID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// WithdrawSuggestionsAt withdraws orgID's suggestions not yet asked for
// that were made for addresses at exactly domain; it returns how many.
func (q *Q) WithdrawSuggestionsAt(ctx context.Context, orgID, domain string, at time.Time) (int, error) {
	res, err := q.exec(ctx, `UPDATE organization_suggestions SET status = 'withdrawn', updated_at = ?
		WHERE org_id = ? AND status = 'pending' AND email LIKE ? ESCAPE '\'`,
		ms(at), orgID, "%@"+escapeLike(strings.ToLower(domain)))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// suggestionRow holds the columns of a suggestion that need converting.
type suggestionRow struct {
	requested        sql.NullInt64
	created, updated int64
}

func (r *suggestionRow) dest(s *org.Suggestion) []any {
	return []any{&s.ID, &s.OrgID, &s.UserID, &s.Email, &s.Status, &r.requested, &r.created, &r.updated}
}

func (r *suggestionRow) fill(s *org.Suggestion) {
	s.RequestedAt, s.CreatedAt, s.UpdatedAt = fromNullMS(r.requested), fromMS(r.created), fromMS(r.updated)
}

func scanSuggestion(r scanner) (*org.Suggestion, error) {
	var (
		s   org.Suggestion
		row suggestionRow
	)
	err := r.Scan(row.dest(&s)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	row.fill(&s)
	return &s, nil
}
