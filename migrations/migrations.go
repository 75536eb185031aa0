// Package migrations holds kakuin's database schema as numbered SQL
// migrations, one directory per SQL dialect (sqlite/, postgres/), embedded
// into the binary.
//
// A migration file is named NNNN_description.sql, numbered from 0001 without
// gaps; each dialect has the same numbers. A migration is never edited after
// it has landed: a schema change is a new file. The store package applies
// them in order, each in its own transaction, and records the version and
// the file's checksum in the schema_migrations table that 0001 creates; it
// refuses to run on a database where an applied file has since changed.
package migrations

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

// Dialect names, which are also the directory names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// FS holds the migration files: sqlite/*.sql and postgres/*.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS

// Migration is one numbered migration file of a dialect.
type Migration struct {
	// Version is the file's number (1 for 0001_init.sql).
	Version int
	// Name is the file name without ".sql", e.g. "0001_init".
	Name string
	// SQL is the file's content: one or more statements.
	SQL string
	// Checksum is the hex SHA-256 of SQL, recorded when the migration is
	// applied so that a later edit of the file is detected.
	Checksum string
}

// checksum returns the hex SHA-256 of a migration file's content.
func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

var fileName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// List returns the migrations of dialect (SQLite or Postgres) ordered by
// version. It fails if a file is misnamed or the numbers have a gap.
func List(dialect string) ([]Migration, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return list(FS, dialect)
}

func list(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("migrations: %s/%s: name is not NNNN_description.sql", dir, e.Name())
		}
		v, _ := strconv.Atoi(m[1]) // four digits always parse
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: e.Name()[:len(e.Name())-len(".sql")], SQL: string(b), Checksum: checksum(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: %s/%s: got version %d, want %d (numbers start at 0001 without gaps or repeats)", dir, m.Name, m.Version, i+1)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("migrations: %s: no migrations", dir)
	}
	return out, nil
}
