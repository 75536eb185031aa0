package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVetCLI is the officers' work on the command line, on both backends:
// officers are added, an EV identity case is opened ahead of any order,
// evidence is recorded, the recorder's approval is refused, two other
// approvers decide it, and a domain case is rejected with a reason. Every
// step is audited and the log verifies.
func TestVetCLI(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, backend)
			mustCLI(t, db.args("migrate")...)
			org := jsonString(oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Example Trading KK", "--country", "JP",
				"--province", "Tokyo", "--locality", "Chiyoda-ku", "--registration-number", "7000012050002", "--json")...).stdout)["id"])
			for _, o := range [][2]string{{"sato", "specialist"}, {"tanaka", "approver"}, {"suzuki", "approver"}, {"ito", "approver"}} {
				mustCLI(t, db.args("officer", "add", o[0], "--role", o[1])...)
			}
			if out := mustCLI(t, db.args("officer", "list")...).stdout; !strings.Contains(out, "tanaka\tapprover\tactive") {
				t.Errorf("officer list: got %q", out)
			}

			c := oneJSON(t, mustCLI(t, db.args("vet", "open", "--org", org, "--kind", "identity", "--level", "ev",
				"--officer", "sato", "--reason", "new EV customer", "--json")...).stdout)
			id := jsonString(c["id"])
			again := mustCLI(t, db.args("vet", "open", "--org", org, "--kind", "identity", "--level", "ev",
				"--officer", "sato", "--reason", "again")...).stdout
			if !strings.Contains(again, "case "+id+" was already open") {
				t.Errorf("opening the same question twice: got %q, want case %s joined", again, id)
			}
			for _, item := range []string{"legal-existence", "registration-number", "phone-verification", "applicant-call",
				"hr-confirmation", "subscriber-agreement"} {
				mustCLI(t, db.args("vet", "evidence", id, "--officer", "tanaka", "--item", item, "--note", "checked: "+item)...)
			}
			show := mustCLI(t, db.args("vet", "show", id)...).stdout
			if !strings.Contains(show, "[hr-confirmation] tanaka") || strings.Contains(show, "MISSING") {
				t.Errorf("vet show: got %q, want every EV item recorded by tanaka", show)
			}

			r := runCLI(t, db.args("vet", "approve", id, "--officer", "tanaka")...)
			if r.code != 1 || !strings.Contains(r.stderr, "separation of duties") {
				t.Errorf("approval by the recorder: got exit %d, stderr %q; want refused for separation of duties", r.code, r.stderr)
			}
			if out := mustCLI(t, db.args("vet", "approve", id, "--officer", "suzuki")...).stdout; !strings.Contains(out, "needs a second approver") {
				t.Errorf("first EV approval: got %q", out)
			}
			r = runCLI(t, db.args("vet", "approve", id, "--officer", "suzuki")...)
			if r.code != 1 || !strings.Contains(r.stderr, "second, different officer") {
				t.Errorf("second approval by the same officer: got exit %d, stderr %q", r.code, r.stderr)
			}
			if out := mustCLI(t, db.args("vet", "approve", id, "--officer", "ito", "--json")...).stdout; jsonString(oneJSON(t, out)["status"]) != "approved" {
				t.Errorf("final EV approval: got %s, want approved", out)
			}
			r = runCLI(t, db.args("vet", "approve", id, "--officer", "tanaka")...)
			if r.code != 1 || !strings.Contains(r.stderr, "already approved") {
				t.Errorf("approving a decided case: got exit %d, stderr %q", r.code, r.stderr)
			}

			d := jsonString(oneJSON(t, mustCLI(t, db.args("vet", "open", "--org", org, "--kind", "domain", "--subject", "example.co.jp",
				"--officer", "sato", "--reason", "customer asked", "--json")...).stdout)["id"])
			mustCLI(t, db.args("vet", "reject", d, "--officer", "tanaka", "--reason", "The domain belongs to another company; send its consent letter.")...)
			rejected := mustCLI(t, db.args("vet", "list", "--status", "rejected")...).stdout
			if !strings.Contains(rejected, d+"\trejected\tdomain") {
				t.Errorf("vet list --status rejected: got %q, want case %s", rejected, d)
			}
			if ok := oneJSON(t, mustCLI(t, db.args("audit", "verify", "--json")...).stdout); jsonString(ok["ok"]) != "true" {
				t.Errorf("audit verify: got %v", ok)
			}
		})
	}
}

// TestVetDirectory looks an organization up in the configured business
// directory file, and refuses a directory file with a bad entry.
func TestVetDirectory(t *testing.T) {
	db := newTestDB(t, "sqlite")
	dir := filepath.Join(db.dataDir, "directory.json")
	if err := os.WriteFile(dir, []byte(`[{"country": "JP", "registration_number": "7000012050002", "name": "Listed KK",
		"address": "Chiyoda-ku", "phone": "03-3581-4161"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(db.dataDir, "kakuin.json")
	if err := os.WriteFile(cfg, []byte(`{"vetting": {"directory_file": "`+dir+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, db.args("migrate")...)
	org := jsonString(oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Listed KK", "--country", "JP", "--province", "Tokyo",
		"--locality", "Chiyoda-ku", "--registration-number", "7000012050002", "--json")...).stdout)["id"])
	got := oneJSON(t, mustCLI(t, db.args("vet", "directory", "--org", org, "--config", cfg, "--json")...).stdout)
	if jsonString(got["phone"]) != "0335814161" {
		t.Errorf("vet directory: got %v, want the listed phone", got)
	}
	if err := os.WriteFile(dir, []byte(`[{"country": "JP", "name": "Bad KK", "phone": "call us"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, db.args("vet", "directory", "--org", org, "--config", cfg)...)
	if r.code != 1 || !strings.Contains(r.stderr, "vetting.directory_file") || !strings.Contains(r.stderr, `entry 1 ("Bad KK")`) {
		t.Errorf("bad directory file: got exit %d, stderr %q", r.code, r.stderr)
	}
}
