// Package pgtest starts throwaway PostgreSQL clusters for tests, from the
// PostgreSQL server binaries installed on the machine (initdb, pg_ctl,
// postgres; Debian package postgresql-15). Nothing is mocked: tests talk to
// a real server listening on 127.0.0.1 on a free port.
//
// A cluster lives in a fresh directory directly under os.TempDir(). When
// the test runs as root, the directory is given to the "postgres" user (or
// "nobody") and the server programs run through runuser, because PostgreSQL
// refuses to run as root.
//
// Most tests want one database each and one cluster per test binary:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pgtest.Shutdown() // stops the cluster NewDatabase started, if any
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // fresh database, dropped by t.Cleanup
//		...
//	}
//
// A watchdog process stops every cluster and removes its directory as soon
// as the test binary exits, even when it crashes, panics or is killed before
// Shutdown or Close runs, so no postgres process is left behind.
package pgtest
