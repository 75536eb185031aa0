package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/vetting"
)

// Drivers Options.Driver accepts.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Backend is a complete store: what every domain package needs, plus the
// schema and connection management cmd/kakuin uses.
type Backend interface {
	acme.Store
	ca.Store
	ocsp.Store
	vetting.Store
	vetting.CaseStore
	// AuditEvents returns up to limit audit events with id greater than
	// afterID, ascending.
	AuditEvents(ctx context.Context, afterID int64, limit int) ([]*vetting.AuditEvent, error)
	// VerifyAudit recomputes the audit log's hash chain and reports every
	// event edited, deleted or added outside kakuin.
	VerifyAudit(ctx context.Context) (*AuditCheck, error)
	// PullRenewalForward gives the certificates sel picks the ARI window
	// w (kakuin renewal) and returns their serials; see core.
	PullRenewalForward(ctx context.Context, sel acme.RenewalSelection, w acme.RenewalWindow, now time.Time, actor string) ([]string, error)
	// Migrate applies the embedded migrations not yet applied and returns
	// their names (e.g. "0001_init"), none if the schema is current.
	Migrate(ctx context.Context) ([]string, error)
	// Pending returns the names of the embedded migrations the database
	// has not applied yet (none when the schema is current), without
	// changing anything.
	Pending(ctx context.Context) ([]string, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
}

// Options says which database to open.
type Options struct {
	// Driver is DriverSQLite ("sqlite") or DriverPostgres ("postgres").
	Driver string
	// DSN is, for sqlite, the database file path; for postgres, a URL
	// (postgres://user@host:port/db?sslmode=...) or key=value DSN.
	DSN string
	// MaxConns bounds the connection pool (for sqlite, the read-only
	// connections; there is always one writer). 0 means the larger of 4
	// and the number of CPUs.
	MaxConns int
	// Clock gives the time stamped on records created without one; nil
	// means time.Now.
	Clock func() time.Time
}

// Open opens the database opts describe. It does not migrate the schema:
// call Migrate.
func Open(ctx context.Context, opts Options) (Backend, error) {
	switch opts.Driver {
	case DriverSQLite:
		return openSQLite(ctx, opts.DSN, opts.MaxConns, opts.Clock)
	case DriverPostgres:
		return openPostgres(ctx, opts.DSN, opts.MaxConns, opts.Clock)
	}
	return nil, fmt.Errorf("store: unknown driver %q (want %q or %q)", opts.Driver, DriverSQLite, DriverPostgres)
}
