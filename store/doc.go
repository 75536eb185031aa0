// Package store persists kakuin's state behind the interfaces the domain
// packages declare: acme.Store, ca.Store and vetting.Store. It has two
// implementations that pass one conformance suite (store/storetest):
//
//   - SQLite through modernc.org/sqlite (pure Go), the embedded default: one
//     file in the data directory.
//   - PostgreSQL through github.com/jackc/pgx/v5, for production and for
//     several kakuin processes sharing one database.
//
// Both run the same SQL, written for PostgreSQL with $N placeholders; a
// thin adapter rewrites it for SQLite (see sqlite.go). The schema comes only
// from the numbered migrations in package migrations, applied by Migrate.
//
// Times are stored in UTC with microsecond precision; a time read back
// equals the time written truncated to the microsecond.
package store
