package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/migrations"
)

// migrate applies the dialect's migrations not yet recorded in
// schema_migrations, each in its own transaction that also records it.
// existsSQL counts tables named schema_migrations (0 before 0001 ran).
// Whether a migration is applied is checked inside its transaction, so a
// concurrent Migrate never applies one twice (SQLite's write transactions
// are exclusive; PostgreSQL callers also hold an advisory lock).
func migrate(ctx context.Context, db database, dialect, existsSQL string, now func() time.Time) ([]string, error) {
	ms, err := migrations.List(dialect)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var applied []string
	for _, m := range ms {
		done := false
		err := db.inTx(ctx, func(c conn) error {
			var n int
			if err := c.queryRow(ctx, existsSQL).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				if err := c.queryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					done = true
					return nil
				}
			}
			if _, err := c.exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, norm(now()))
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		if !done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}
