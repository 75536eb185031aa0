package store

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/migrations"
)

// TestMigrateRefusesEditedMigration checks that Migrate records each
// migration's checksum and refuses to go on when an applied migration's
// file has changed since, applying nothing after it.
func TestMigrateRefusesEditedMigration(t *testing.T) {
	tests := []struct {
		dialect string
		open    func(t *testing.T) (database, string)
	}{
		{migrations.SQLite, func(t *testing.T) (database, string) {
			s, err := OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "edited.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s.db, sqliteMigrationsExist
		}},
		{migrations.Postgres, func(t *testing.T) (database, string) {
			p, err := OpenPostgres(t.Context(), pgtest.NewDatabase(t), 2)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return p.db, postgresMigrationsExist
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dialect, func(t *testing.T) {
			db, existsSQL := tt.open(t)
			ms, err := migrations.List(tt.dialect)
			if err != nil {
				t.Fatal(err)
			}
			clock := newCore(db, nil).now
			if _, err := migrate(t.Context(), db, ms, existsSQL, clock); err != nil {
				t.Fatalf("first migrate: got %v, want nil", err)
			}
			var sum string
			if err := db.reader().queryRow(t.Context(), `SELECT checksum FROM schema_migrations WHERE version = 1`).Scan(&sum); err != nil {
				t.Fatal(err)
			}
			if sum != ms[0].Checksum {
				t.Errorf("recorded checksum: got %s, want %s", sum, ms[0].Checksum)
			}

			edited := slices.Clone(ms)
			edited[0].SQL += "\n-- an innocent-looking edit\n"
			h := sha256.Sum256([]byte(edited[0].SQL))
			edited[0].Checksum = hex.EncodeToString(h[:])
			next := migrations.Migration{Version: len(ms) + 1, Name: "9999_after_the_edit",
				SQL: "CREATE TABLE after_the_edit (id INTEGER)", Checksum: "00"}
			edited = append(edited, next)
			applied, err := migrate(t.Context(), db, edited, existsSQL, clock)
			want := "migration 0001_init was edited after it was applied; migrations must never change"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("migrate with an edited 0001: got %v, want an error saying %q", err, want)
			}
			if len(applied) != 0 {
				t.Errorf("migrate with an edited 0001: got %v applied, want none", applied)
			}
			var n int
			if err := db.reader().queryRow(t.Context(), `SELECT count(*) FROM schema_migrations WHERE version = $1`, next.Version).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("the migration after the edited one: got it recorded, want it not applied")
			}
			if _, err := migrate(t.Context(), db, ms, existsSQL, clock); err != nil {
				t.Errorf("migrate with the original files again: got %v, want nil", err)
			}
		})
	}
}
