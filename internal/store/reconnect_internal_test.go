package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// A statement under way when the server ends its connection: a read runs
// once more on another connection and answers; a write does not (the
// server may have committed it before it ended the connection; here it
// had not, and the portal cannot tell), and its error is returned.
func TestStatementUnderWayWhenTheServerEndsItsConnection(t *testing.T) {
	dsn := pgtest.URL(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Q.exec(t.Context(), `INSERT INTO clients (id, created_at, updated_at) VALUES (?,?,?)`,
		"client_x", 0, 0); err != nil {
		t.Fatal(err)
	}
	t.Run("read", func(t *testing.T) {
		var n int
		err := endUnder(t, dsn, func() error {
			return s.Q.row(t.Context(), `SELECT COUNT(*) FROM clients, pg_sleep(0.5) WHERE id = ?`, "client_x").Scan(&n)
		})
		if err != nil || n != 1 {
			t.Fatalf("read whose connection the server ended: %d, %v; want it run again and 1", n, err)
		}
	})
	t.Run("write", func(t *testing.T) {
		err := endUnder(t, dsn, func() error {
			_, err := s.Q.exec(t.Context(), `UPDATE clients SET updated_at = ?
				WHERE id = ? AND (SELECT true FROM pg_sleep(0.5))`, 1, "client_x")
			return err
		})
		if !lost(err) {
			t.Fatalf("write whose connection the server ended: %v, want the lost connection reported", err)
		}
		var at int64
		if err := s.Q.row(t.Context(), `SELECT updated_at FROM clients WHERE id = ?`, "client_x").Scan(&at); err != nil || at != 0 {
			t.Fatalf("updated_at = %d, %v; want 0: the write must not have been run again", at, err)
		}
	})
}

// endUnder runs statement, which sleeps in the server (pg_sleep), ends the
// test's connections while it sleeps, and returns what statement returned.
func endUnder(t *testing.T, dsn string, statement func() error) error {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- statement() }()
	watch, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var n int
		err := watch.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1
			AND state = 'active' AND pid <> pg_backend_pid() AND strpos(query, 'pg_sleep') > 0`,
			u.Query().Get("application_name")).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the statement did not start")
		}
	}
	if pgtest.EndConnections(t, dsn) == 0 {
		t.Fatal("no connection was ended")
	}
	return <-done
}

func TestLostConnectionErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true},
		{fmt.Errorf("store: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P02"}), true},
		{&pgconn.PgError{Severity: "FATAL", Code: "57P05"}, true},
		{&pgconn.PgError{Severity: "ERROR", Code: "23505"}, false},
		{&pgconn.PgError{Severity: "ERROR", Code: "40P01"}, false},
		{fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), true},
		{driver.ErrBadConn, true},
		{sql.ErrNoRows, false},
		{context.Canceled, false},
		{errors.New("conn busy"), false},
		{nil, false},
	} {
		if got := lost(c.err); got != c.want {
			t.Errorf("lost(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	for q, want := range map[string]bool{
		"SELECT 1":                        true,
		"\n\t\tselect id FROM users":      true,
		"INSERT INTO users VALUES (1)":    false,
		"UPDATE users SET x = 1":          false,
		"DELETE FROM users RETURNING id":  false,
		"WITH x AS (DELETE FROM users) 1": false,
		"SEL":                             false,
	} {
		if got := readOnly(q); got != want {
			t.Errorf("readOnly(%q) = %v, want %v", q, got, want)
		}
	}
}

// The check does not wait for a read of the connection under way
// elsewhere: pgconn's background reader, started when a write is slow (a
// busy machine), stays parked in a read of the idle connection. Before,
// the check waited for that read to finish, which on an idle connection
// is never, and the request hung.
func TestCheckBeforeUseDoesNotWaitForAReadUnderWay(t *testing.T) {
	conn, err := pgconn.Connect(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	reading := make(chan struct{})
	go func() {
		close(reading)
		_, _ = conn.Conn().Read(make([]byte, 1)) // until the connection closes
	}()
	<-reading
	time.Sleep(50 * time.Millisecond) // parked in the read
	checked := make(chan bool, 1)
	go func() { checked <- idleAndOpen(conn) }()
	select {
	case ok := <-checked:
		if !ok {
			t.Error("a live idle connection failed the check")
		}
	case <-time.After(5 * time.Second):
		t.Error("the check waited for the read under way")
	}
	conn.Close(context.Background())
}

// BenchmarkIdleAndOpen is the check every pooled connection passes before
// the pool hands it out again, on an idle connection the server has said
// nothing on (the usual case), beside the ping pgx itself sends to one
// idle for over a second (a round trip), over plain TCP and TLS.
//
//	go test -run '^$' -bench IdleAndOpen ./internal/store/
func BenchmarkIdleAndOpen(b *testing.B) {
	for _, mode := range []string{"disable", "require"} {
		conn, err := pgconn.Connect(b.Context(), strings.Replace(pgtest.URL(b), "sslmode=disable", "sslmode="+mode, 1))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close(context.Background()) })
		b.Run("check/sslmode="+mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !idleAndOpen(conn) {
					b.Fatal("a live idle connection failed the check")
				}
			}
		})
		b.Run("ping/sslmode="+mode, func(b *testing.B) {
			for b.Loop() {
				if err := conn.Ping(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ConnectionLost names the database's lost connections only: the same
// io.EOF or reset from another service (SMTP, an SMS gateway, a provider)
// is not a database restart and stays an internal error.
func TestConnectionLostIsTheDatabasesOnly(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"57P01 from the server", &pgconn.PgError{Code: "57P01"}, true},
		{"database/sql's bad connection", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"a transaction's connection done", sql.ErrConnDone, true},
		{"a unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"EOF from an SMTP server", fmt.Errorf("smtp: %w", io.EOF), false},
		{"a reset from an SMS gateway", fmt.Errorf("post: %w", syscall.ECONNRESET), false},
		{"nil", nil, false},
	} {
		if got := ConnectionLost(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Unreachable names a database that cannot be connected to (stopped: its
// port refuses) and not one that refuses the login (no such database, a
// wrong password), which is the configuration's fault.
func TestUnreachableIsARefusedConnectionNotARefusedLogin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, err = pgconn.Connect(t.Context(), "postgres://postgres@"+closed+"/test?sslmode=disable")
	if err == nil || !Unreachable(err) {
		t.Errorf("a closed port: Unreachable(%v) = false", err)
	}
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/no_such_database"
	_, err = pgconn.Connect(t.Context(), u.String())
	if err == nil || Unreachable(err) {
		t.Errorf("a database that does not exist: Unreachable(%v) = true", err)
	}
	if Unreachable(fmt.Errorf("smtp: %w", syscall.ECONNREFUSED)) || Unreachable(&pgconn.PgError{Code: "57P03"}) {
		t.Error("an error not from connecting to the database is Unreachable")
	}
}
