package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Shutdown()
	os.Exit(code)
}

// cliResult is what one in-process `kakuin` invocation did.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs `kakuin args...` in-process, with an empty environment so
// that no KAKUIN_* variable of the machine leaks in.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(context.Background(), env, args)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustCLI runs `kakuin args...` and fails the test unless it exits 0.
func mustCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := runCLI(t, args...)
	if r.code != 0 {
		t.Fatalf("kakuin %s: exit code got %d, want 0\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// oneJSON decodes stdout, which must be exactly one JSON object on one
// line and nothing else.
func oneJSON(t *testing.T, stdout string) map[string]any {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("stdout: got %q, want one JSON object on one line", stdout)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout %q: got %v, want a JSON object", stdout, err)
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("stdout %q: got more after the object (%v), want exactly one JSON object", stdout, err)
	}
	return obj
}

// testDB is one database the CLI works on, and how to reach it.
type testDB struct {
	dataDir string
	// flags reach the database from the CLI: --data and, for
	// PostgreSQL, --db-driver and --db-dsn.
	flags []string
	opts  store.Options
}

// newTestDB returns a fresh, unmigrated database of the backend ("sqlite"
// or "postgres", a throwaway database of the shared test cluster).
func newTestDB(t *testing.T, backend string) *testDB {
	t.Helper()
	dir := t.TempDir()
	db := &testDB{dataDir: dir, flags: []string{"--data", dir}}
	switch backend {
	case "sqlite":
		db.opts = store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(dir, "kakuin.db")}
	case "postgres":
		dsn := pgtest.NewDatabase(t)
		db.flags = append(db.flags, "--db-driver", "postgres", "--db-dsn", dsn)
		db.opts = store.Options{Driver: store.DriverPostgres, DSN: dsn}
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	return db
}

// args returns args followed by the flags that reach db.
func (db *testDB) args(args ...string) []string {
	return append(append([]string{}, args...), db.flags...)
}

// open opens db through the store API, as the server does; closed when
// the test ends.
func (db *testDB) open(t *testing.T) store.Backend {
	t.Helper()
	b, err := store.Open(context.Background(), db.opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// auditEvents returns every audit event of db.
func (db *testDB) auditEvents(t *testing.T) []*vetting.AuditEvent {
	t.Helper()
	b, err := store.Open(context.Background(), db.opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer b.Close()
	events, err := b.AuditEvents(context.Background(), 0, 10000)
	if err != nil {
		t.Fatalf("audit events: %v", err)
	}
	return events
}

// backends are the storage backends the CLI tests run against.
var backends = []string{"sqlite", "postgres"}
