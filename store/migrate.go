package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/migrations"
)

// migrationSteps are the parts of migrations that SQL cannot do, by
// version: each runs in its migration's transaction, after its SQL.
var migrationSteps = map[int]func(context.Context, conn) error{
	3: chainExistingAudit, // 0003_audit_chain
}

// errMigrationEdited marks a migration whose file changed after it was
// applied (see migrate).
var errMigrationEdited = errors.New("migrations must never change")

// migrate applies the migrations ms (of the database's dialect) not yet
// recorded in schema_migrations, each in its own transaction that also
// records it with its checksum. existsSQL counts tables named
// schema_migrations (0 before 0001 ran). Whether a migration is applied is
// checked inside its transaction, so a concurrent Migrate never applies one
// twice (SQLite's write transactions are exclusive; PostgreSQL callers also
// hold an advisory lock).
//
// An applied migration whose recorded checksum differs from its file's
// stops migrate before anything else is applied: the schema in the database
// is not the one the file describes (STYLE.md: migrations are never edited
// after they land).
func migrate(ctx context.Context, db database, ms []migrations.Migration, existsSQL string, now func() time.Time) ([]string, error) {
	var applied []string
	for _, m := range ms {
		done := false
		err := db.inTx(ctx, func(c conn) error {
			var n int
			if err := c.queryRow(ctx, existsSQL).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				var sum string
				err := c.queryRow(ctx, `SELECT checksum FROM schema_migrations WHERE version = $1`, m.Version).Scan(&sum)
				switch {
				case err == nil && sum != m.Checksum:
					return fmt.Errorf("store: migration %s was edited after it was applied; %w (applied sha256 %s, file sha256 %s)",
						m.Name, errMigrationEdited, sum, m.Checksum)
				case err == nil:
					done = true
					return nil
				case !errors.Is(err, errNoRows):
					return err
				}
			}
			if _, err := c.exec(ctx, m.SQL); err != nil {
				return err
			}
			if step := migrationSteps[m.Version]; step != nil {
				if err := step(ctx, c); err != nil {
					return err
				}
			}
			_, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
				m.Version, m.Name, m.Checksum, norm(now()))
			return err
		})
		if errors.Is(err, errMigrationEdited) {
			return applied, err
		}
		if err != nil {
			return applied, fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		if !done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// pending returns the names of the migrations in ms that db has not
// applied, in order, without changing anything; an applied migration whose
// file changed is an error, as in migrate.
func pending(ctx context.Context, db database, ms []migrations.Migration, existsSQL string) ([]string, error) {
	c := db.reader()
	var n int
	if err := c.queryRow(ctx, existsSQL).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: reading the schema version: %w", err)
	}
	applied := map[int]string{}
	if n > 0 {
		rows, err := c.query(ctx, `SELECT version, checksum FROM schema_migrations`)
		if err != nil {
			return nil, fmt.Errorf("store: reading the schema version: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			var sum string
			if err := rows.Scan(&v, &sum); err != nil {
				return nil, fmt.Errorf("store: reading the schema version: %w", err)
			}
			applied[v] = sum
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: reading the schema version: %w", err)
		}
	}
	var names []string
	for _, m := range ms {
		sum, ok := applied[m.Version]
		switch {
		case !ok:
			names = append(names, m.Name)
		case sum != m.Checksum:
			return nil, fmt.Errorf("store: migration %s was edited after it was applied; %w (applied sha256 %s, file sha256 %s)",
				m.Name, errMigrationEdited, sum, m.Checksum)
		}
	}
	return names, nil
}

// dialectMigrations lists the embedded migrations of dialect.
func dialectMigrations(dialect string) ([]migrations.Migration, error) {
	ms, err := migrations.List(dialect)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return ms, nil
}
