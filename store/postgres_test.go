package store_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgtest.Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func openPostgres(t *testing.T) store.Backend {
	t.Helper()
	b, err := store.Open(t.Context(), store.Options{Driver: store.DriverPostgres, DSN: pgtest.NewDatabase(t), MaxConns: 4})
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

func TestPostgres(t *testing.T) {
	storetest.Run(t, openPostgres)
}

// TestPostgresSharedDatabase runs two stores on one database, as two
// kakuin processes would.
func TestPostgresSharedDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var stores [2]*store.Postgres
	for i := range stores {
		s, err := store.OpenPostgres(t.Context(), dsn, 2)
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		defer s.Close()
		stores[i] = s
	}
	testShared(t, stores[0], stores[1])
}
