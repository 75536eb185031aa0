package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/migrations"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/vetting"
)

var (
	_ acme.Store    = (*Postgres)(nil)
	_ ca.Store      = (*Postgres)(nil)
	_ ocsp.Store    = (*Postgres)(nil)
	_ vetting.Store = (*Postgres)(nil)
	_ Backend       = (*Postgres)(nil)
)

// migrateLockID is the PostgreSQL advisory lock key that serialises
// Migrate across processes ("kakuin" in ASCII).
const migrateLockID int64 = 0x6b616b75696e

// Postgres is the PostgreSQL store, for production: any number of kakuin
// processes may share one database.
type Postgres struct {
	*core
	pool *pgxpool.Pool
}

// OpenPostgres connects to the PostgreSQL database dsn (a URL or key=value
// string as libpq takes them) with a pool of at most maxConns connections
// (0 means pgx's default, the larger of 4 and the number of CPUs). It does
// not migrate the schema: call Migrate.
func OpenPostgres(ctx context.Context, dsn string, maxConns int) (*Postgres, error) {
	return openPostgres(ctx, dsn, maxConns, nil)
}

func openPostgres(ctx context.Context, dsn string, maxConns int, clock func() time.Time) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres dsn: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(maxConns)
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Read timestamptz in UTC rather than the local time zone.
		c.TypeMap().RegisterType(&pgtype.Type{
			Name:  "timestamptz",
			OID:   pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	return &Postgres{core: newCore(pgDB{pool}, clock), pool: pool}, nil
}

// Migrate applies the PostgreSQL migrations not yet applied, each in its
// own transaction, and returns the names of those it applied. An advisory
// lock makes concurrent Migrate calls (from several processes) safe: one
// applies, the others then find nothing to do.
func (p *Postgres) Migrate(ctx context.Context) ([]string, error) {
	ms, err := dialectMigrations(migrations.Postgres)
	if err != nil {
		return nil, err
	}
	c, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
		return nil, fmt.Errorf("store: migrate: taking the migration lock: %w", err)
	}
	applied, err := migrate(ctx, pgDB{c}, ms, postgresMigrationsExist, p.now)
	if _, uerr := c.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrateLockID); uerr != nil {
		// A connection that still holds the lock must not go back to the pool.
		c.Conn().Close(context.Background())
		if err == nil {
			err = fmt.Errorf("store: migrate: releasing the migration lock: %w", uerr)
		}
	}
	return applied, err
}

// RedeemNonceAndGetAccount redeems nonce id and reads the account in one
// statement, hence one round trip (see acme.Store): a data-modifying WITH
// runs exactly once whatever the main query returns, so the nonce is
// redeemed even when there is no such account.
func (p *Postgres) RedeemNonceAndGetAccount(ctx context.Context, id string, expires time.Time, accountID int64) (*acme.Account, bool, error) {
	var inserted int
	a, err := scanAccount(prefixRow{pgConn{p.pool}.queryRow(ctx, `WITH redeemed AS (
			INSERT INTO used_nonces (id, expires) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING 1)
		SELECT (SELECT count(*) FROM redeemed), `+accountColumns+` FROM accounts WHERE id = $3`,
		id, norm(expires), accountID), &inserted})
	if errors.Is(err, errNoRows) {
		return nil, false, fmt.Errorf("store: account %d: %w", accountID, acme.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: redeeming nonce and reading account %d: %w", accountID, err)
	}
	return a, inserted == 1, nil
}

// prefixRow scans its first column into dest and the rest as its caller
// asks.
type prefixRow struct {
	r    row
	dest any
}

func (p prefixRow) Scan(dest ...any) error { return p.r.Scan(append([]any{p.dest}, dest...)...) }

// postgresMigrationsExist counts the schema_migrations tables (0 or 1) of
// the current schema.
const postgresMigrationsExist = `SELECT count(*) FROM pg_catalog.pg_tables
	WHERE schemaname = current_schema() AND tablename = 'schema_migrations'`

// Pending implements Backend.
func (p *Postgres) Pending(ctx context.Context) ([]string, error) {
	ms, err := dialectMigrations(migrations.Postgres)
	if err != nil {
		return nil, err
	}
	return pending(ctx, p.core.db, ms, postgresMigrationsExist)
}

// Ping checks that the database answers.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: postgres: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// pgxConn is what pools, pooled connections and transactions have in common.
type pgxConn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// pgDB adapts pgx to database. Reads and writes share the pool.
type pgDB struct{ c pgxConn }

func (d pgDB) reader() conn { return pgConn{d.c} }
func (d pgDB) writer() conn { return pgConn{d.c} }

func (d pgDB) inTx(ctx context.Context, fn func(conn) error) error {
	tx, err := d.c.Begin(ctx)
	if err != nil {
		return pgError(err)
	}
	defer tx.Rollback(context.Background()) // a no-op after Commit
	if err := fn(pgConn{tx}); err != nil {
		return err
	}
	return pgError(tx.Commit(ctx))
}

type pgConn struct{ c pgxConn }

func (c pgConn) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := c.c.Exec(ctx, sql, args...)
	if err != nil {
		return 0, pgError(err)
	}
	return tag.RowsAffected(), nil
}

func (c pgConn) query(ctx context.Context, sql string, args ...any) (rows, error) {
	r, err := c.c.Query(ctx, sql, args...)
	if err != nil {
		return nil, pgError(err)
	}
	return pgRows{r}, nil
}

func (c pgConn) queryRow(ctx context.Context, sql string, args ...any) row {
	return pgRow{c.c.QueryRow(ctx, sql, args...)}
}

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error { return pgError(r.r.Scan(dest...)) }

type pgRows struct{ pgx.Rows }

func (r pgRows) Scan(dest ...any) error { return pgError(r.Rows.Scan(dest...)) }
func (r pgRows) Err() error             { return pgError(r.Rows.Err()) }

// pgError classifies a pgx error (SQLSTATE class 23: integrity constraint
// violation).
func pgError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return classify(errUnique, err)
		case "23503":
			return classify(errForeignKey, err)
		case "23514":
			return classify(errCheck, err)
		}
	}
	return err
}
