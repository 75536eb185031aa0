package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/vetting"
)

// unusedContractCode returns a well-formed contract code (valid check
// digit) that differs from code.
func unusedContractCode(t *testing.T, code string) string {
	t.Helper()
	for first := '1'; first <= '9'; first++ {
		for d := '0'; d <= '9'; d++ {
			c := string(first) + "23456789" + string(d)
			if c != code && vetting.ValidateContractCode(c) == nil {
				return c
			}
		}
	}
	t.Fatal("no valid contract code found")
	return ""
}

// wrongCheckDigit returns code with its check digit changed.
func wrongCheckDigit(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}

// TestBadInput runs every refusal an operator meets on the command line:
// each exits non-zero (2 for a usage mistake), prints nothing on stdout,
// says on stderr what to fix, and writes nothing to the database.
func TestBadInput(t *testing.T) {
	db := newTestDB(t, "sqlite")
	mustCLI(t, db.args("migrate")...)
	o := oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Example KK", "--country", "JP",
		"--province", "Tokyo", "--locality", "Chiyoda-ku", "--json")...).stdout)
	orgID := jsonString(o["id"])
	code := jsonString(oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", orgID, "--json")...).stdout)["code"])
	revoked := jsonString(oneJSON(t, mustCLI(t, db.args("eab", "create", "--contract", code, "--json")...).stdout)["kid"])
	mustCLI(t, db.args("eab", "revoke", revoked)...)
	mustCLI(t, db.args("officer", "add", "sato", "--role", "specialist")...)
	mustCLI(t, db.args("officer", "add", "tanaka", "--role", "approver")...)
	caseID := jsonString(oneJSON(t, mustCLI(t, db.args("vet", "open", "--org", orgID, "--kind", "identity", "--level", "ov",
		"--officer", "sato", "--reason", "new customer", "--json")...).stdout)["id"])

	dir := t.TempDir()
	unknownKey := filepath.Join(dir, "unknown-key.json")
	if err := os.WriteFile(unknownKey, []byte("{\n  \"data_dir\": \""+db.dataDir+"\",\n  \"listn\": \"127.0.0.1:1\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	org := func(extra ...string) []string {
		base := map[string]string{"--name": "Good Name KK", "--country": "JP", "--province": "Tokyo", "--locality": "Minato-ku"}
		args := []string{"org", "create"}
		for i := 0; i+1 < len(extra); i += 2 {
			base[extra[i]] = extra[i+1]
		}
		for _, f := range []string{"--name", "--country", "--province", "--locality"} {
			if v, ok := base[f]; ok && v != "\x00omit" {
				args = append(args, f, v)
			}
		}
		return db.args(args...)
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		// wantErr are substrings of stderr: the field or flag to fix and
		// what is wrong with it.
		wantErr []string
	}{
		{name: "no command", args: nil, wantCode: 2, wantErr: []string{"usage: kakuin <command>"}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantErr: []string{`unknown command "frobnicate"`, "commands:", "eab"}},
		{name: "unknown org subcommand", args: db.args("org", "delete", "1"), wantCode: 2, wantErr: []string{`unknown subcommand "delete"`, "kakuin org create"}},
		{name: "unknown eab subcommand", args: []string{"eab", "show"}, wantCode: 2, wantErr: []string{`unknown subcommand "show"`, "kakuin eab revoke KID"}},
		{name: "org without subcommand", args: []string{"org"}, wantCode: 2, wantErr: []string{"kakuin org create --name NAME"}},
		{name: "contract without --org", args: db.args("contract", "create", "--plan", "monthly"), wantCode: 2, wantErr: []string{"--org is required"}},
		{name: "contract for a missing organization", args: db.args("contract", "create", "--org", "999"), wantCode: 1,
			wantErr: []string{"organization 999 does not exist", "create the organization first"}},
		{name: "contract with a negative --org", args: db.args("contract", "create", "--org", "-3"), wantCode: 1,
			wantErr: []string{"organization_id", "positive organization id", "-3"}},
		{name: "contract with --org not a number", args: db.args("contract", "create", "--org", "abc"), wantCode: 2,
			wantErr: []string{`invalid value "abc" for flag -org`}},
		{name: "contract with an unknown plan", args: db.args("contract", "create", "--org", orgID, "--plan", "yearly"), wantCode: 1,
			wantErr: []string{"plan", `"per-certificate" or "monthly"`, `"yearly"`}},
		{name: "contract with an unknown profile", args: db.args("contract", "create", "--org", orgID, "--profiles", "ov,dv"), wantCode: 1,
			wantErr: []string{"profiles", `unknown profile "dv"`}},
		{name: "contract with negative slots", args: db.args("contract", "create", "--org", orgID, "--slots", "-1"), wantCode: 1,
			wantErr: []string{"slots", "between 1 and"}},
		{name: "contract show with a wrong check digit", args: db.args("contract", "show", wrongCheckDigit(code)), wantCode: 1,
			wantErr: []string{strconv.Quote(wrongCheckDigit(code)), "check digit does not match"}},
		{name: "eab for a code with a wrong check digit", args: db.args("eab", "create", "--contract", wrongCheckDigit(code)), wantCode: 1,
			wantErr: []string{"--contract", strconv.Quote(wrongCheckDigit(code)), "check digit does not match"}},
		{name: "eab for a 9-digit code", args: db.args("eab", "create", "--contract", code[:9]), wantCode: 1,
			wantErr: []string{"--contract", strconv.Quote(code[:9]), "must be 10 digits"}},
		{name: "eab without --contract", args: db.args("eab", "create"), wantCode: 1, wantErr: []string{"--contract", "must be 10 digits"}},
		{name: "eab for an unknown contract", args: db.args("eab", "create", "--contract", unusedContractCode(t, code)), wantCode: 1,
			wantErr: []string{"contract " + unusedContractCode(t, code) + " not found"}},
		{name: "eab revoke of an unknown kid", args: db.args("eab", "revoke", "kak_AAAAAAAAAAAAAAAAAAAAAA"), wantCode: 1,
			wantErr: []string{`unknown EAB key id "kak_AAAAAAAAAAAAAAAAAAAAAA"`}},
		{name: "eab revoke of something not a kid", args: db.args("eab", "revoke", "hunter2"), wantCode: 1,
			wantErr: []string{"kid", `starting with "kak_"`, `"hunter2"`}},
		{name: "second eab revoke", args: db.args("eab", "revoke", revoked), wantCode: 1, wantErr: []string{revoked, "already revoked"}},
		{name: "eab revoke without kid", args: db.args("eab", "revoke"), wantCode: 2, wantErr: []string{"kakuin eab revoke KID"}},
		{name: "eab revoke of two kids", args: db.args("eab", "revoke", revoked, revoked), wantCode: 2, wantErr: []string{"kakuin eab revoke KID"}},
		{name: "org name with &", args: org("--name", "Smith & Sons KK"), wantCode: 1, wantErr: []string{"name", "write 'and' instead of '&'"}},
		{name: "org locality with a block number", args: org("--locality", "Shibuya-ku Jingumae 1-5-1"), wantCode: 1,
			wantErr: []string{"locality", "no town, street, block or building number", "Jingumae 1-5-1"}},
		{name: "org province with a digit", args: org("--province", "Tokyo 1"), wantCode: 1, wantErr: []string{"province", "digit"}},
		{name: "org 3-letter country", args: org("--country", "JPN"), wantCode: 1, wantErr: []string{"country", "2-letter", `"JPN"`}},
		{name: "org without name", args: org("--name", "\x00omit"), wantCode: 1, wantErr: []string{"name: is required"}},
		{name: "org name with a non-ASCII letter", args: org("--name", "Café KK"), wantCode: 1, wantErr: []string{"name", "'é' is not allowed"}},
		{name: "org name too long", args: org("--name", strings.Repeat("A", 65)), wantCode: 1, wantErr: []string{"name", "at most 64 characters"}},
		{name: "org with every field bad at once", args: org("--name", "A & B", "--country", "J", "--locality", "1-5-1"), wantCode: 1,
			wantErr: []string{"name:", "country:", "locality:"}},
		{name: "org with a positional argument", args: append(org(), "extra"), wantCode: 2, wantErr: []string{"kakuin org create --name NAME"}},
		{name: "org show of a missing id", args: db.args("org", "show", "999"), wantCode: 1, wantErr: []string{"organization 999 not found"}},
		{name: "org show of a non-number", args: db.args("org", "show", "first"), wantCode: 1, wantErr: []string{`organization id "first" is not a positive number`}},
		{name: "org corporate number with a wrong check digit", args: append(org(), "--registration-number", "1000012050002"), wantCode: 1,
			wantErr: []string{"registration_number", "check digit does not match", "1000012050002"}},
		{name: "org corporate number of 12 digits", args: append(org(), "--registration-number", "700001205000"), wantCode: 1,
			wantErr: []string{"registration_number", "13-digit corporate number"}},
		{name: "org phone with letters", args: append(org(), "--phone", "03-ABCD-5678"), wantCode: 1, wantErr: []string{"phone", "only digits"}},
		{name: "registration contact with a mobile number", args: db.args("org", "contact", orgID, "--role", "registration",
			"--name", "Yamada Taro", "--email", "taro@example.jp", "--phone", "090-1234-5678"), wantCode: 1,
			wantErr: []string{"phone", "mobile number (070, 080, 090)", "landline or an IP phone (050)"}},
		{name: "applicant without a title", args: db.args("org", "contact", orgID, "--role", "applicant",
			"--name", "Yamada Taro", "--email", "taro@example.jp", "--phone", "03-1234-5678"), wantCode: 1,
			wantErr: []string{"title: is required"}},
		{name: "contact with an unknown role", args: db.args("org", "contact", orgID, "--role", "boss",
			"--name", "Yamada Taro", "--email", "taro@example.jp", "--phone", "03-1234-5678"), wantCode: 1,
			wantErr: []string{"role", "applicant, registration, technical, billing", `"boss"`}},
		{name: "contact of a missing organization", args: db.args("org", "contact", "999", "--role", "technical",
			"--name", "Yamada Taro", "--email", "taro@example.jp", "--phone", "03-1234-5678"), wantCode: 1,
			wantErr: []string{"organization 999 not found"}},
		{name: "officer with an unknown role", args: db.args("officer", "add", "kato", "--role", "boss"), wantCode: 1,
			wantErr: []string{"role", "specialist, approver or admin", `"boss"`}},
		{name: "officer with a bad name", args: db.args("officer", "add", "Kato San", "--role", "approver"), wantCode: 1,
			wantErr: []string{"name", "lower-case letters"}},
		{name: "disable an unknown officer", args: db.args("officer", "disable", "nobody"), wantCode: 1, wantErr: []string{"no officer named nobody"}},
		{name: "officer cert without --cert-dir", args: db.args("officer", "cert", "sato"), wantCode: 1, wantErr: []string{"--cert-dir is required"}},
		{name: "officer added twice", args: db.args("officer", "add", "sato", "--role", "approver"), wantCode: 1,
			wantErr: []string{"officer sato already exists"}},
		{name: "unknown vet subcommand", args: db.args("vet", "decide", caseID), wantCode: 2, wantErr: []string{`unknown subcommand "decide"`, "kakuin vet approve"}},
		{name: "vet show of a non-number", args: db.args("vet", "show", "first"), wantCode: 1, wantErr: []string{`case "first" is not a positive number`}},
		{name: "vet show of a missing case", args: db.args("vet", "show", "999"), wantCode: 1, wantErr: []string{"case 999 not found"}},
		{name: "vet list with an unknown status", args: db.args("vet", "list", "--status", "pending"), wantCode: 1,
			wantErr: []string{"status must be open, approved or rejected", `"pending"`}},
		{name: "domain case for a name under the domain", args: db.args("vet", "open", "--org", orgID, "--kind", "domain",
			"--subject", "www.example.co.jp", "--officer", "sato", "--reason", "r"), wantCode: 1,
			wantErr: []string{"subject", "must be the registered domain example.co.jp"}},
		{name: "identity case without a level", args: db.args("vet", "open", "--org", orgID, "--kind", "identity",
			"--officer", "sato", "--reason", "r"), wantCode: 1, wantErr: []string{"level", "must be ov or ev"}},
		{name: "case without a reason", args: db.args("vet", "open", "--org", orgID, "--kind", "identity", "--level", "ev",
			"--officer", "sato"), wantCode: 1, wantErr: []string{"reason: is required"}},
		{name: "evidence of an item the case does not take", args: db.args("vet", "evidence", caseID, "--officer", "sato",
			"--item", "hr-confirmation", "--note", "x"), wantCode: 1, wantErr: []string{"item", "identity cases at level ov take legal-existence"}},
		{name: "evidence without a note", args: db.args("vet", "evidence", caseID, "--officer", "sato",
			"--item", "legal-existence"), wantCode: 1, wantErr: []string{"note: is required"}},
		{name: "approval before the evidence", args: db.args("vet", "approve", caseID, "--officer", "tanaka"), wantCode: 1,
			wantErr: []string{"cannot be approved yet", "evidence missing for legal-existence"}},
		{name: "rejection without a reason", args: db.args("vet", "reject", caseID, "--officer", "tanaka"), wantCode: 1,
			wantErr: []string{"reason: is required"}},
		{name: "approval by a malformed officer name", args: db.args("vet", "approve", caseID, "--officer", "Tanaka San"), wantCode: 1,
			wantErr: []string{"officer name", "not a valid login name"}},
		{name: "contract with a term end that is not a day", args: db.args("contract", "create", "--org", orgID, "--term-end", "2027-02-30"), wantCode: 1,
			wantErr: []string{`--term-end "2027-02-30"`, "2027-11-30"}},
		{name: "contract with a term that ended", args: db.args("contract", "create", "--org", orgID, "--term-end", "2020-01-01"), wantCode: 1,
			wantErr: []string{"term_end", "must be after the contract's creation"}},
		{name: "contract term without --start", args: db.args("contract", "term", code, "--end", "2027-11-30"), wantCode: 1,
			wantErr: []string{"--start is required"}},
		{name: "contract term ending before it starts", args: db.args("contract", "term", code, "--start", "2027-01-01", "--end", "2026-12-01"),
			wantCode: 1, wantErr: []string{"end", "must be after the start (2027-01-01)"}},
		{name: "directory lookup without a directory", args: db.args("vet", "directory", "--org", orgID), wantCode: 1,
			wantErr: []string{"no business directory is configured", "vetting.directory_file"}},
		{name: "usage for a month that is not one", args: db.args("usage", "--contract", code, "--month", "2026-13"), wantCode: 1,
			wantErr: []string{`--month "2026-13"`, "2026-11"}},
		{name: "usage in an unknown format", args: db.args("usage", "--contract", code, "--month", "2026-11", "--format", "xml"), wantCode: 1,
			wantErr: []string{`--format "xml"`, "csv or json"}},
		{name: "usage for a code with a wrong check digit", args: db.args("usage", "--contract", wrongCheckDigit(code), "--month", "2026-11"),
			wantCode: 1, wantErr: []string{"--contract", "check digit does not match"}},
		{name: "usage for an unknown contract", args: db.args("usage", "--contract", unusedContractCode(t, code), "--month", "2026-11"),
			wantCode: 1, wantErr: []string{"contract " + unusedContractCode(t, code) + " not found"}},
		{name: "eab list without --contract", args: db.args("eab", "list"), wantCode: 1, wantErr: []string{"--contract", "must be 10 digits"}},
		{name: "eab list of an unknown contract", args: db.args("eab", "list", "--contract", unusedContractCode(t, code)), wantCode: 1,
			wantErr: []string{"contract " + unusedContractCode(t, code) + " not found"}},
		{name: "contacts without an id", args: db.args("org", "contacts"), wantCode: 2, wantErr: []string{"kakuin org contacts ID"}},
		{name: "unknown flag", args: append(org(), "--nmae", "X"), wantCode: 2, wantErr: []string{"flag provided but not defined: -nmae"}},
		{name: "config with an unknown key", args: []string{"org", "create", "--config", unknownKey, "--name", "X KK", "--country", "JP",
			"--province", "Tokyo", "--locality", "Minato-ku"}, wantCode: 1, wantErr: []string{unknownKey, "line 3", "listn", "unknown key"}},
		{name: "missing config file", args: db.args("migrate", "--config", filepath.Join(dir, "absent.json")), wantCode: 1,
			wantErr: []string{"absent.json", "no such file"}},
		{name: "db driver mysql", args: db.args("eab", "create", "--contract", code, "--db-driver", "mysql"), wantCode: 1,
			wantErr: []string{"database.driver", "sqlite, postgres", `"mysql"`, "--db-driver"}},
		{name: "postgres without dsn", args: []string{"migrate", "--data", dir, "--db-driver", "postgres"}, wantCode: 1,
			wantErr: []string{"database.dsn", "required for the postgres driver"}},
		{name: "migrate with a positional argument", args: db.args("migrate", "now"), wantCode: 2, wantErr: []string{"kakuin migrate [--json]"}},
		{name: "revoke without --serial", args: db.args("revoke", "--reason", "superseded"), wantCode: 1,
			wantErr: []string{"--serial", "is required"}},
		{name: "revoke with a serial not hex", args: db.args("revoke", "--serial", "xyz", "--reason", "superseded"), wantCode: 1,
			wantErr: []string{"--serial", `"xyz" is not a hex serial number`}},
		{name: "revoke with a serial over 20 octets", args: db.args("revoke", "--serial", strings.Repeat("7f", 21), "--reason", "superseded"),
			wantCode: 1, wantErr: []string{"--serial", "longer than 20 octets"}},
		{name: "revoke without --reason", args: db.args("revoke", "--serial", "0a"), wantCode: 1,
			wantErr: []string{"--reason is required", "keyCompromise"}},
		{name: "revoke with an unknown reason", args: db.args("revoke", "--serial", "0a", "--reason", "lost"), wantCode: 1,
			wantErr: []string{"--reason", `unknown revocation reason "lost"`, "superseded (4)"}},
		{name: "revoke with reason code 7", args: db.args("revoke", "--serial", "0a", "--reason", "7"), wantCode: 1,
			wantErr: []string{"--reason", "7 is not an RFC 5280 CRLReason code"}},
		{name: "revoke with certificateHold", args: db.args("revoke", "--serial", "0a", "--reason", "certificateHold"), wantCode: 1,
			wantErr: []string{"--reason", "certificateHold (6) is not allowed for subscriber certificates", "privilegeWithdrawn (9)"}},
		{name: "revoke without a CA", args: db.args("revoke", "--serial", "0a", "--reason", "superseded"), wantCode: 1,
			wantErr: []string{"no CA hierarchy", "kakuin init"}},
	}

	before := db.auditEvents(t)
	b := db.open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.stdout != "" {
				t.Errorf("stdout: got %q, want nothing", r.stdout)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr: got %q, want it to contain %q", r.stderr, want)
				}
			}
			if r.code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstderr: %s", r.code, tt.wantCode, r.stderr)
			}
		})
	}

	// Nothing was written: no audit event (every create and revoke
	// appends one), no organization after the first, the revoked
	// credential still revoked once.
	after := db.auditEvents(t)
	if len(after) != len(before) {
		for _, e := range after[len(before):] {
			t.Errorf("audit event after refusals: %s %s %s", e.Kind, e.Subject, e.Detail)
		}
	}
	if _, err := b.GetOrganization(context.Background(), 2); !errors.Is(err, vetting.ErrNotFound) {
		t.Errorf("organization 2: got %v, want ErrNotFound (no organization created by a refused command)", err)
	}
	if _, err := b.GetContract(context.Background(), unusedContractCode(t, code)); !errors.Is(err, vetting.ErrNotFound) {
		t.Errorf("contract %s: got %v, want ErrNotFound", unusedContractCode(t, code), err)
	}
}

// TestHelp checks that -h prints the command's flags and exits 0, and that
// `kakuin help` lists the commands.
func TestHelp(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr []string
		notWant string // must not appear on stderr
	}{
		{name: "kakuin help", args: []string{"help"}, wantErr: []string{"usage: kakuin <command>", "serve", "migrate", "org", "contract", "eab"}},
		{name: "org create -h", args: []string{"org", "create", "-h"}, wantErr: []string{"-name", "-country", "-locality", "-json", "-data", "-config"}},
		{name: "eab create -h", args: []string{"eab", "create", "-h"}, wantErr: []string{"-contract", "-json", "-db-dsn"}},
		{name: "serve -h", args: []string{"serve", "-h"}, wantErr: []string{"-dev", "-listen", "-bench-always-valid"}},
		{name: "contract create -h", args: []string{"contract", "create", "-h"}, wantErr: []string{"-org", "-plan", "-profiles"},
			notWant: "-org kakuin org create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != 0 {
				t.Errorf("exit code: got %d, want 0", r.code)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr: got %q, want it to contain %q", r.stderr, want)
				}
			}
			if tt.notWant != "" && strings.Contains(r.stderr, tt.notWant) {
				t.Errorf("stderr: got %q, want no %q", r.stderr, tt.notWant)
			}
		})
	}
}

// TestAdminUnmigrated checks that an administrative command on a database
// `kakuin migrate` has not set up says so, instead of a raw SQL error.
func TestAdminUnmigrated(t *testing.T) {
	db := newTestDB(t, "sqlite")
	r := runCLI(t, db.args("org", "create", "--name", "Example KK", "--country", "JP",
		"--province", "Tokyo", "--locality", "Chiyoda-ku", "--json")...)
	if r.code == 0 {
		t.Fatalf("org create on an unmigrated database: exit code got 0, want 1\nstdout: %s", r.stdout)
	}
	if r.stdout != "" {
		t.Errorf("stdout: got %q, want nothing", r.stdout)
	}
	if !strings.Contains(r.stderr, "kakuin migrate") {
		t.Errorf("stderr: got %q, want it to tell to run `kakuin migrate`", r.stderr)
	}
}
