package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/migrations"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/vetting"
)

var (
	_ acme.Store    = (*SQLite)(nil)
	_ ca.Store      = (*SQLite)(nil)
	_ ocsp.Store    = (*SQLite)(nil)
	_ vetting.Store = (*SQLite)(nil)
	_ Backend       = (*SQLite)(nil)
)

// SQLite is the embedded store: one database file.
//
// Concurrency: SQLite allows one writer at a time. A transaction that
// starts as a reader and later writes can fail with SQLITE_BUSY when another
// connection wrote in between, whatever the busy timeout. So every write
// (single statements and transactions) goes through one writer connection,
// whose transactions start with BEGIN IMMEDIATE (_txlock=immediate, taking
// the write lock up front); writers in this process queue for that
// connection instead of failing, and other processes using the same file
// wait for the lock up to busy_timeout. Reads use a separate pool of
// read-only connections, which WAL mode lets run alongside the writer.
type SQLite struct {
	*core
	write *sql.DB
	read  *sql.DB
}

// sqliteBusyTimeout is how long a connection waits for another process's
// lock before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// OpenSQLite opens (creating it if needed) the SQLite database file at
// path. It does not migrate the schema: call Migrate.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	return openSQLite(ctx, path, 0, nil)
}

func openSQLite(ctx context.Context, path string, maxReaders int, clock func() time.Time) (*SQLite, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: sqlite: %q is not a database file path", path)
	}
	if err := prepareSQLiteFiles(path); err != nil {
		return nil, err
	}
	if maxReaders <= 0 {
		maxReaders = max(4, runtime.NumCPU())
	}
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	common.Add("_pragma", "foreign_keys(1)")
	w := url.Values{"_pragma": append([]string{
		"journal_mode(WAL)",
		// FULL: a committed issuance survives a power loss.
		"synchronous(FULL)",
	}, common["_pragma"]...)}
	w.Set("_txlock", "immediate")
	r := url.Values{"_pragma": append([]string{"query_only(1)"}, common["_pragma"]...)}

	write, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Connect the writer first: it creates the file and turns on WAL.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	read, err := sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	read.SetMaxOpenConns(maxReaders)
	read.SetMaxIdleConns(maxReaders)
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	return &SQLite{core: newCore(sqliteDB{write: write, read: read}, clock), write: write, read: read}, nil
}

// sqliteFileMode is the mode of the database file and of its -wal and -shm
// files: they hold the EAB HMAC keys and the nonce key.
const sqliteFileMode fs.FileMode = 0o600

// prepareSQLiteFiles creates the database file with mode 0600 if it does
// not exist, before the driver opens it (the driver would create it with
// 0644 less the umask), and refuses an existing one that group or others
// may access. Existing -wal and -shm files are set to 0600; SQLite creates
// missing ones with the database file's mode.
func prepareSQLiteFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, sqliteFileMode)
	if err != nil {
		return fmt.Errorf("store: sqlite: %w", err)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return fmt.Errorf("store: sqlite: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("store: sqlite: database file %s has mode %04o: group and others may read it, and it holds EAB and nonce keys; run chmod 600 %s",
			path, perm, path)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(path+suffix, sqliteFileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: sqlite: %w", err)
		}
	}
	return nil
}

// Migrate applies the SQLite migrations not yet applied, each in its own
// (immediate, hence exclusive among writers) transaction, and returns the
// names of those it applied.
func (s *SQLite) Migrate(ctx context.Context) ([]string, error) {
	ms, err := dialectMigrations(migrations.SQLite)
	if err != nil {
		return nil, err
	}
	return migrate(ctx, s.db, ms, sqliteMigrationsExist, s.now)
}

// Pending implements Backend.
func (s *SQLite) Pending(ctx context.Context) ([]string, error) {
	ms, err := dialectMigrations(migrations.SQLite)
	if err != nil {
		return nil, err
	}
	return pending(ctx, s.db, ms, sqliteMigrationsExist)
}

// sqliteMigrationsExist counts the schema_migrations tables (0 or 1).
const sqliteMigrationsExist = `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`

// Ping checks that the database file can be used.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: sqlite: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: sqlite: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *SQLite) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

type sqliteDB struct{ write, read *sql.DB }

func (d sqliteDB) reader() conn { return sqliteConn{d.read} }
func (d sqliteDB) writer() conn { return sqliteConn{d.write} }

func (d sqliteDB) inTx(ctx context.Context, fn func(conn) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return sqliteError(err)
	}
	defer tx.Rollback() // a no-op after Commit
	if err := fn(sqliteConn{tx}); err != nil {
		return err
	}
	return sqliteError(tx.Commit())
}

// sqlConn is what *sql.DB and *sql.Tx have in common.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type sqliteConn struct{ c sqlConn }

func (c sqliteConn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.c.ExecContext(ctx, rewrite(q), sqliteArgs(args)...)
	if err != nil {
		return 0, sqliteError(err)
	}
	n, err := res.RowsAffected()
	return n, sqliteError(err)
}

func (c sqliteConn) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := c.c.QueryContext(ctx, rewrite(q), sqliteArgs(args)...)
	if err != nil {
		return nil, sqliteError(err)
	}
	return sqliteRows{r}, nil
}

func (c sqliteConn) queryRow(ctx context.Context, q string, args ...any) row {
	return sqliteRow{c.c.QueryRowContext(ctx, rewrite(q), sqliteArgs(args)...)}
}

type sqliteRow struct{ r *sql.Row }

func (r sqliteRow) Scan(dest ...any) error { return sqliteError(r.r.Scan(sqliteDests(dest)...)) }

type sqliteRows struct{ r *sql.Rows }

func (r sqliteRows) Next() bool             { return r.r.Next() }
func (r sqliteRows) Scan(dest ...any) error { return sqliteError(r.r.Scan(sqliteDests(dest)...)) }
func (r sqliteRows) Err() error             { return sqliteError(r.r.Err()) }
func (r sqliteRows) Close()                 { r.r.Close() }

func sqliteError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errNoRows
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return classify(errUnique, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return classify(errForeignKey, err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			return classify(errCheck, err)
		}
	}
	return err
}

// The rewrite from the PostgreSQL SQL this package writes to SQLite's.
var (
	reAny       = regexp.MustCompile(`= ANY\(\$([0-9]+)\)`)
	reForUpdate = regexp.MustCompile(` FOR UPDATE( OF [a-z_]+)?`)
	rePlace     = regexp.MustCompile(`\$([0-9]+)`)
	rewritten   sync.Map // PostgreSQL SQL → SQLite SQL
)

// rewrite turns the PostgreSQL dialect used in this package into SQLite's:
// "= ANY($N)" of an array becomes "IN (SELECT value FROM json_each(?N))" of
// a JSON array (see sqliteArgs), row locks are dropped (SQLite's write
// transactions are exclusive), and $N becomes ?N.
func rewrite(q string) string {
	if s, ok := rewritten.Load(q); ok {
		return s.(string)
	}
	s := reAny.ReplaceAllString(q, "IN (SELECT value FROM json_each($$$1))")
	s = reForUpdate.ReplaceAllString(s, "")
	s = rePlace.ReplaceAllString(s, "?$1")
	rewritten.Store(q, s)
	return s
}

// sqliteTimeLayout is fixed-width, so that text order is time order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(sqliteTimeLayout) }

func parseTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		return t.UTC(), err
	case time.Time:
		return v.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("store: sqlite: cannot read %T as a time", v)
}

// sqliteArgs converts arguments to what the SQLite schema stores.
func sqliteArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			out[i] = formatTime(v)
		case *time.Time:
			if v != nil {
				out[i] = formatTime(*v)
			}
		case []byte:
			if v != nil {
				out[i] = v
			}
		case []int64, []string:
			b, _ := json.Marshal(v) // cannot fail for these types
			out[i] = string(b)
		default:
			out[i] = a
		}
	}
	return out
}

// sqliteDests wraps time destinations in scanners that parse stored text.
func sqliteDests(dest []any) []any {
	out, copied := dest, false
	for i, d := range dest {
		var s sql.Scanner
		switch v := d.(type) {
		case *time.Time:
			s = timeScanner{v}
		case **time.Time:
			s = nullTimeScanner{v}
		default:
			continue
		}
		if !copied {
			out, copied = append([]any(nil), dest...), true
		}
		out[i] = s
	}
	return out
}

type timeScanner struct{ t *time.Time }

func (s timeScanner) Scan(v any) (err error) {
	*s.t, err = parseTime(v)
	return err
}

type nullTimeScanner struct{ t **time.Time }

func (s nullTimeScanner) Scan(v any) error {
	if v == nil {
		*s.t = nil
		return nil
	}
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	*s.t = &t
	return nil
}
