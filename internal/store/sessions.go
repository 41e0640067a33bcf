package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/session"
)

// CreateClient inserts a browser client; ErrConflict when its ID is
// taken.
func (q *Q) CreateClient(ctx context.Context, c session.Client) error {
	_, err := q.exec(ctx, `INSERT INTO clients (id, created_at, updated_at, handoff, previous_id, last_strategy) VALUES (?,?,?,?,?,?)`,
		c.ID, ms(c.CreatedAt), ms(c.UpdatedAt), c.Handoff, c.PreviousID, c.LastStrategy)
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// DeleteFinishedSessions deletes the sessions that ended (signed out,
// revoked, expired) before that, or whose maximum lifetime ran out before
// it (a session left to lapse may still read "active"). It reports how
// many went. Their clients are then idle for DeleteIdleClients.
func (q *Q) DeleteFinishedSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM sessions WHERE expire_at < ? OR ended_at < ?`, ms(before), ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeleteIdleClients deletes the clients made before that hold no session,
// live or past, and no flow: a browser's client from before it signed in
// (every sign-in moves the browser to a new client), or one that only ever
// began flows, once those have expired and been deleted. A browser still
// holding such a client's cookie is given the client again when it next
// needs one (session.Service.ClaimClient), so nothing a person sees
// changes. Clients with sessions stay until DeleteFinishedSessions has
// removed those: they are the account's history until then.
func (q *Q) DeleteIdleClients(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM clients WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.client_id = clients.id)
		AND NOT EXISTS (SELECT 1 FROM flows WHERE flows.client_id = clients.id)`, ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PreviousClient returns the client the browser holding clientID held
// before its last sign-in, or "" (flow.Find).
func (q *Q) PreviousClient(ctx context.Context, clientID string) (string, error) {
	var prev string
	err := q.row(ctx, `SELECT previous_id FROM clients WHERE id = ?`, clientID).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return prev, err
}

// SuccessorClient returns the newest client made from clientID (its
// previous_id): where a sign-in or a reverification moved the browser
// holding clientID. ErrNotFound when there is none.
func (q *Q) SuccessorClient(ctx context.Context, clientID string) (*session.Client, error) {
	var (
		c    session.Client
		a, b int64
	)
	err := q.row(ctx, `SELECT id, created_at, updated_at, handoff, previous_id, last_strategy FROM clients
		WHERE previous_id = ? AND previous_id <> '' ORDER BY created_at DESC, id DESC LIMIT 1`, clientID).
		Scan(&c.ID, &a, &b, &c.Handoff, &c.PreviousID, &c.LastStrategy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(a), fromMS(b)
	return &c, nil
}

// MoveSession moves the active session id from client from to client to,
// at at; false when it is not on from any more (another request moved or
// ended it first).
func (q *Q) MoveSession(ctx context.Context, id, from, to string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE sessions SET client_id = ?, updated_at = ? WHERE id = ? AND client_id = ? AND status = 'active'`,
		to, ms(at), id, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ClientByID returns a client.
func (q *Q) ClientByID(ctx context.Context, id string) (*session.Client, error) {
	var (
		c    session.Client
		a, b int64
	)
	err := q.row(ctx, `SELECT id, created_at, updated_at, handoff, previous_id, last_strategy FROM clients WHERE id = ?`, id).
		Scan(&c.ID, &a, &b, &c.Handoff, &c.PreviousID, &c.LastStrategy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(a), fromMS(b)
	return &c, nil
}

const sessionCols = `id, client_id, user_id, status, first_factor_at, second_factor_at, active_org_id,
	ip, user_agent, created_at, updated_at, last_active_at, expire_at, ended_at, reverified_at, actor`

// CreateSession inserts a session.
func (q *Q) CreateSession(ctx context.Context, s session.Session) error {
	_, err := q.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		s.ID, s.ClientID, s.UserID, s.Status, ms(s.FirstFactorAt), msPtr(s.SecondFactorAt), s.ActiveOrgID,
		s.IP, s.UserAgent, ms(s.CreatedAt), ms(s.UpdatedAt), ms(s.LastActiveAt), ms(s.ExpireAt), msPtr(s.EndedAt),
		msPtr(s.ReverifiedAt), rawJSON(s.Actor))
	return err
}

// SessionByID returns a session in any status.
func (q *Q) SessionByID(ctx context.Context, id string) (*session.Session, error) {
	return scanSession(q.row(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
}

// ActiveSessionOfClient returns the newest active session of a client.
func (q *Q) ActiveSessionOfClient(ctx context.Context, clientID string) (*session.Session, error) {
	return scanSession(q.row(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE client_id = ? AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT 1`, clientID))
}

// ActiveSessionsOfClient lists the client's active sessions.
func (q *Q) ActiveSessionsOfClient(ctx context.Context, clientID string) ([]session.Session, error) {
	return q.sessions(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE client_id = ? AND status = 'active' ORDER BY created_at DESC, id DESC`, clientID)
}

func (q *Q) sessions(ctx context.Context, query string, args ...any) ([]session.Session, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []session.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, rows.Err()
}

// ActiveSessionsOfUser lists the user's active sessions on every client.
func (q *Q) ActiveSessionsOfUser(ctx context.Context, userID string) ([]session.Session, error) {
	return q.sessions(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE user_id = ? AND status = 'active' ORDER BY created_at DESC, id DESC`, userID)
}

// SessionsOfUserSince lists the user's sessions in any status (live,
// signed out, revoked, expired) last active at or after since, the most
// recently active first, at most limit of them: what the account has been
// used from lately (newdevice). Housekeeping keeps ended sessions for
// PORTAL_EVENT_RETENTION, so since reaches back no further than that.
// It runs at every sign-in: sessions_user_active serves it in order.
func (q *Q) SessionsOfUserSince(ctx context.Context, userID string, since time.Time, limit int) ([]session.Session, error) {
	return q.sessions(ctx, sessionsOfUserSince, userID, ms(since), limit)
}

const sessionsOfUserSince = `SELECT ` + sessionCols + ` FROM sessions
		WHERE user_id = ? AND last_active_at >= ? ORDER BY last_active_at DESC, id DESC LIMIT ?`

// EndSession moves an active session to status; false when it was not active.
func (q *Q) EndSession(ctx context.Context, id, status string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE sessions SET status = ?, ended_at = ?, updated_at = ?
		WHERE id = ? AND status = 'active'`, status, ms(at), ms(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TouchSession records activity on an active session and, unless it is an
// impersonation, on its user (user.last_active_at), together.
//
// The user's row is written first: every transaction that writes both a
// user and their sessions (a ban, a password change signing out the other
// devices, a sign-in ending the client's session) locks the user first.
// Locking the session first would, on PostgreSQL, deadlock with those, and
// one of the two would be aborted.
func (q *Q) TouchSession(ctx context.Context, id string, at time.Time) error {
	return q.atomic(ctx, func(q *Q) error {
		if _, err := q.exec(ctx, `UPDATE users SET last_active_at = ?
			WHERE id = (SELECT user_id FROM sessions WHERE id = ? AND status = 'active' AND actor IS NULL)
			AND (last_active_at IS NULL OR last_active_at < ?)`, ms(at), id, ms(at)); err != nil {
			return err
		}
		_, err := q.exec(ctx, `UPDATE sessions SET last_active_at = ? WHERE id = ? AND status = 'active'`, ms(at), id)
		return err
	})
}

// MarkUserActive moves the user's last_active_at to at, never back.
func (q *Q) MarkUserActive(ctx context.Context, userID string, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE users SET last_active_at = ? WHERE id = ? AND (last_active_at IS NULL OR last_active_at < ?)`,
		ms(at), userID, ms(at))
	return err
}

// MarkReverified records on an active session that the person proved who
// they are at at (reverified_at), and moves the factor times the token's fva
// claim reports for the kind of factor used: first, second or both (a
// passkey). Proving it is activity too (last_active_at). One statement, so
// they never disagree.
func (q *Q) MarkReverified(ctx context.Context, id string, at time.Time, first, second bool) error {
	var f, sf *time.Time
	if first {
		f = &at
	}
	if second {
		sf = &at
	}
	return q.expectOne(q.exec(ctx, `UPDATE sessions SET reverified_at = ?, last_active_at = ?, first_factor_at = COALESCE(?, first_factor_at),
		second_factor_at = COALESCE(?, second_factor_at) WHERE id = ? AND status = 'active'`, ms(at), ms(at), msPtr(f), msPtr(sf), id))
}

type scanner interface{ Scan(dest ...any) error }

func scanSession(r scanner) (*session.Session, error) {
	var (
		s                                  session.Session
		second, ended, reverified          sql.NullInt64
		first, created, updated, last, exp int64
		actor                              sql.NullString
	)
	err := r.Scan(&s.ID, &s.ClientID, &s.UserID, &s.Status, &first, &second, &s.ActiveOrgID,
		&s.IP, &s.UserAgent, &created, &updated, &last, &exp, &ended, &reverified, &actor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	s.FirstFactorAt, s.SecondFactorAt = fromMS(first), fromNullMS(second)
	s.CreatedAt, s.UpdatedAt, s.LastActiveAt, s.ExpireAt = fromMS(created), fromMS(updated), fromMS(last), fromMS(exp)
	s.EndedAt, s.ReverifiedAt, s.Actor = fromNullMS(ended), fromNullMS(reverified), fromRawJSON(actor)
	return &s, nil
}
