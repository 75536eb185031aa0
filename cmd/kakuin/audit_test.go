package main

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// TestAuditVerify is the acceptance check of the audit log on both
// backends: `kakuin audit verify` passes on a database the CLI filled, and
// fails, naming the event, once a row has been edited by hand.
func TestAuditVerify(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, backend)
			mustCLI(t, db.args("migrate")...)
			org := oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Example Trading KK", "--country", "JP",
				"--province", "Tokyo", "--locality", "Chiyoda-ku", "--json")...).stdout)
			code := jsonString(oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", jsonString(org["id"]), "--json")...).stdout)["code"])
			mustCLI(t, db.args("eab", "create", "--contract", code)...)
			mustCLI(t, db.args("contract", "suspend", code)...)

			ok := oneJSON(t, mustCLI(t, db.args("audit", "verify", "--json")...).stdout)
			if jsonString(ok["ok"]) != "true" || jsonString(ok["events"]) != "4" {
				t.Fatalf("audit verify on an intact log: got %v, want ok with 4 events", ok)
			}

			editByHand(t, db, `UPDATE audit_events SET actor = 'officer:nobody' WHERE kind = 'contract.create'`)
			r := runCLI(t, db.args("audit", "verify")...)
			if r.code != 1 || !strings.Contains(r.stdout, "audit log BROKEN") || !strings.Contains(r.stdout, "was edited") ||
				!strings.Contains(r.stderr, "does not verify") {
				t.Errorf("audit verify after an edit: got exit %d, stdout %q, stderr %q; want exit 1 naming the edited event",
					r.code, r.stdout, r.stderr)
			}
		})
	}
}

// editByHand runs one statement on the test database outside kakuin, as
// someone with database access would.
func editByHand(t *testing.T, db *testDB, stmt string) {
	t.Helper()
	if db.opts.Driver == "sqlite" {
		conn, err := sql.Open("sqlite", db.opts.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		return
	}
	conn, err := pgx.Connect(t.Context(), db.opts.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
