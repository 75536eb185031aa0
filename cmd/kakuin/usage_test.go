package main

import (
	"encoding/csv"
	"strings"
	"testing"
)

// TestUsage runs `kakuin usage` on a monthly contract with no certificate
// yet: a CSV header and one "day" record per day of the month, or one JSON
// object.
func TestUsage(t *testing.T) {
	db := newTestDB(t, "sqlite")
	mustCLI(t, db.args("migrate")...)
	org := jsonString(oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Example KK", "--country", "JP",
		"--province", "Tokyo", "--locality", "Chiyoda-ku", "--json")...).stdout)["id"])
	code := jsonString(oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", org, "--plan", "monthly", "--slots", "2", "--json")...).stdout)["code"])

	out := mustCLI(t, db.args("usage", "--contract", code, "--month", "2026-11")...).stdout
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 31 || records[0][0] != "record" || records[1][0] != "day" || records[1][10] != "2026-11-01" || records[30][11] != "0" {
		t.Errorf("usage CSV: got %d records starting %v, %v; want a header and 30 days with 0 slots", len(records), records[0], records[1])
	}
	j := oneJSON(t, mustCLI(t, db.args("usage", "--contract", code, "--month", "2026-02", "--format", "json")...).stdout)
	if days, _ := j["days"].([]any); len(days) != 28 || jsonString(j["plan"]) != "monthly" || jsonString(j["limit"]) != "2" {
		t.Errorf("usage JSON: got %v, want 28 days of a monthly plan limited to 2", j)
	}
}

// TestEABList lists a contract's credentials: key ids and statuses, never
// the HMAC keys.
func TestEABList(t *testing.T) {
	db := newTestDB(t, "sqlite")
	mustCLI(t, db.args("migrate")...)
	org := jsonString(oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Example KK", "--country", "JP",
		"--province", "Tokyo", "--locality", "Chiyoda-ku", "--json")...).stdout)["id"])
	code := jsonString(oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", org, "--json")...).stdout)["code"])
	first := oneJSON(t, mustCLI(t, db.args("eab", "create", "--contract", code, "--json")...).stdout)
	second := oneJSON(t, mustCLI(t, db.args("eab", "create", "--contract", code, "--json")...).stdout)
	mustCLI(t, db.args("eab", "revoke", jsonString(second["kid"]))...)
	out := mustCLI(t, db.args("eab", "list", "--contract", code)...).stdout
	for _, want := range []string{jsonString(first["kid"]) + "\tactive", jsonString(second["kid"]) + "\trevoked"} {
		if !strings.Contains(out, want) {
			t.Errorf("eab list: got %q, want a line with %q", out, want)
		}
	}
	for _, secret := range []string{jsonString(first["hmac"]), jsonString(second["hmac"])} {
		if strings.Contains(out, secret) {
			t.Errorf("eab list shows an HMAC key: %q", out)
		}
	}
}
