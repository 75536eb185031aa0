package store

import (
	"context"
	"errors"
)

// conn runs statements: a connection pool or one transaction. SQL is
// written for PostgreSQL ($N placeholders, "= ANY($N)" for a list given as
// []int64 or []string, "FOR UPDATE"); the SQLite adapter rewrites it.
type conn interface {
	// exec runs a statement and returns the number of rows it affected.
	exec(ctx context.Context, sql string, args ...any) (int64, error)
	query(ctx context.Context, sql string, args ...any) (rows, error)
	// queryRow runs a query whose first row Scan reads; Scan returns
	// errNoRows when there is none.
	queryRow(ctx context.Context, sql string, args ...any) row
}

type row interface {
	Scan(dest ...any) error
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// database is what the dialect-neutral code in this package runs on.
type database interface {
	// reader runs queries that only read.
	reader() conn
	// writer runs single statements that write (in their own transaction).
	writer() conn
	// inTx runs fn in a read-write transaction, committed if fn returns nil
	// and rolled back otherwise.
	inTx(ctx context.Context, fn func(conn) error) error
}

// Driver-independent error classes. The adapters wrap driver errors so that
// errors.Is(err, errUnique) etc. work; the driver error stays in the chain.
var (
	errNoRows     = errors.New("store: no rows")
	errUnique     = errors.New("store: unique constraint violated")
	errForeignKey = errors.New("store: foreign key constraint violated")
	errCheck      = errors.New("store: check constraint violated")
)

// classified is a driver error tagged with its class.
type classified struct {
	class error
	err   error
}

func (e *classified) Error() string         { return e.err.Error() }
func (e *classified) Unwrap() []error       { return []error{e.class, e.err} }
func classify(class, err error) *classified { return &classified{class: class, err: err} }
