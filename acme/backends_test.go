package acme_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/store"
)

// TestMain stops the PostgreSQL cluster the postgres environments share
// once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgtest.Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// backends are the store drivers the acceptance tests run on.
var backends = []string{store.DriverSQLite, store.DriverPostgres}

// forEachBackend runs test once per store backend, each in a subtest named
// after the driver, so the same acceptance test checks the server over
// SQLite and over PostgreSQL.
func forEachBackend(t *testing.T, test func(t *testing.T, backend string)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { test(t, b) })
	}
}
