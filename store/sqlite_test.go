package store_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/migrations"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/store/storetest"
)

func openSQLite(t *testing.T) store.Backend {
	t.Helper()
	b, err := store.Open(t.Context(), store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "kakuin.db")})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, openSQLite)
}

// TestSQLiteSharedFile runs two stores on one file, as two processes would.
func TestSQLiteSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	var stores [2]*store.SQLite
	for i := range stores {
		s, err := store.OpenSQLite(t.Context(), path)
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		defer s.Close()
		stores[i] = s
	}
	testShared(t, stores[0], stores[1])
}

// testShared checks two backends on one database agree on the nonce key,
// see each other's nonces, and migrate once between them.
func testShared(t *testing.T, a, b store.Backend) {
	var wg sync.WaitGroup
	var applied [2][]string
	var errs [2]error
	for i, s := range []store.Backend{a, b} {
		wg.Go(func() { applied[i], errs[i] = s.Migrate(t.Context()) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("Migrate: got errors %v, %v, want nil", errs[0], errs[1])
	}
	all, err := migrations.List(migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	both := slices.Sorted(slices.Values(append(slices.Clone(applied[0]), applied[1]...)))
	var want []string
	for _, m := range all {
		want = append(want, m.Name)
	}
	if !slices.Equal(both, want) {
		t.Errorf("migrations applied by both: got %v and %v, want each of %v once", applied[0], applied[1], want)
	}

	var keys [2][]byte
	for i, s := range []store.Backend{a, b} {
		wg.Go(func() { keys[i], errs[i] = s.NonceKey(t.Context()) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("NonceKey: got errors %v, %v, want nil", errs[0], errs[1])
	}
	if !bytes.Equal(keys[0], keys[1]) {
		t.Errorf("NonceKey: got %x and %x, want one key", keys[0], keys[1])
	}

	exp := time.Now().Add(time.Hour)
	if err := a.RedeemNonce(t.Context(), "shared", exp); err != nil {
		t.Fatalf("RedeemNonce: got %v, want nil", err)
	}
	if err := b.RedeemNonce(t.Context(), "shared", exp); !errors.Is(err, acme.ErrNonceUsed) {
		t.Errorf("RedeemNonce on the other store: got %v, want %v", err, acme.ErrNonceUsed)
	}
}

// TestSQLiteJournal checks the database file is in WAL mode, which lets
// readers run alongside the writer.
func TestSQLiteJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := store.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode: got %q, want wal", mode)
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name string
		opts store.Options
	}{
		{"unknown driver", store.Options{Driver: "mysql", DSN: "x"}},
		{"no driver", store.Options{DSN: "x"}},
		{"sqlite memory", store.Options{Driver: store.DriverSQLite, DSN: ":memory:"}},
		{"sqlite empty path", store.Options{Driver: store.DriverSQLite}},
		{"sqlite uri", store.Options{Driver: store.DriverSQLite, DSN: "file:x.db?mode=rw"}},
		{"sqlite missing directory", store.Options{Driver: store.DriverSQLite, DSN: "/nonexistent-dir/x.db"}},
		{"postgres bad dsn", store.Options{Driver: store.DriverPostgres, DSN: "postgres://[::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := store.Open(t.Context(), tt.opts)
			if err == nil {
				b.Close()
				t.Fatalf("Open(%+v): got nil error, want an error", tt.opts)
			}
		})
	}
}

// TestSQLiteFileMode checks that the database file, which holds the EAB
// HMAC keys and the nonce key, and its -wal and -shm files are readable by
// their owner only, and that a database file others may read is refused.
func TestSQLiteFileMode(t *testing.T) {
	t.Run("new database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.db")
		s := openMigrated(t, path)
		defer s.Close()
		wantOwnerOnly(t, path)
	})
	t.Run("left-over wal and shm", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "leftover.db")
		for _, p := range []string{path + "-wal", path + "-shm"} {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s := openMigrated(t, path)
		defer s.Close()
		wantOwnerOnly(t, path)
	})
	t.Run("existing database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "existing.db")
		openMigrated(t, path).Close()
		tests := []struct {
			mode    os.FileMode
			refused bool
		}{
			{0o644, true},
			{0o640, true},
			{0o604, true},
			{0o620, true},
			{0o600, false},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
				defer os.Chmod(path, 0o600)
				s, err := store.OpenSQLite(t.Context(), path)
				if err == nil {
					s.Close()
				}
				switch {
				case tt.refused && err == nil:
					t.Errorf("OpenSQLite: got nil error, want a refusal")
				case !tt.refused && err != nil:
					t.Errorf("OpenSQLite: got %v, want nil", err)
				case tt.refused && tt.mode&0o077 != 0 && !strings.Contains(err.Error(), "chmod 600 "+path):
					t.Errorf("OpenSQLite: got %q, want it to say chmod 600 %s", err, path)
				}
			})
		}
	})
}

// openMigrated opens the SQLite database at path and migrates it.
func openMigrated(t *testing.T, path string) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	if _, err := s.Migrate(t.Context()); err != nil {
		s.Close()
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// wantOwnerOnly checks that the database file and its -wal and -shm files
// have mode 0600.
func wantOwnerOnly(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s: got %04o, want 0600", filepath.Base(p), got)
		}
	}
}
