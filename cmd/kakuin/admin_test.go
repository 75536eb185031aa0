package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/vetting"
)

// TestAdminJSON is the operator's scripted path on both backends: migrate,
// org create, contract create, contract show, eab create, eab revoke, each
// with --json printing exactly one JSON object, and the records landing in
// the store as printed.
func TestAdminJSON(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, backend)
			ctx := context.Background()

			m := oneJSON(t, mustCLI(t, db.args("migrate", "--json")...).stdout)
			if applied, ok := m["applied"].([]any); !ok || len(applied) == 0 {
				t.Fatalf("migrate --json: got %v, want a non-empty \"applied\" list", m)
			}

			r := mustCLI(t, db.args("org", "create", "--name", "Example Trading KK", "--name-ja", "例示商事株式会社",
				"--country", "jp", "--province", "Tokyo", "--locality", "Chiyoda-ku", "--json")...)
			o := oneJSON(t, r.stdout)
			if len(o) != 1 {
				t.Errorf("org create --json: got keys %v, want only \"id\"", o)
			}
			idNum, ok := o["id"].(json.Number)
			if !ok {
				t.Fatalf("org create --json: got %v, want a numeric \"id\"", o)
			}
			id, err := idNum.Int64()
			if err != nil || id <= 0 {
				t.Fatalf("org create --json: id got %v, want a positive integer", idNum)
			}

			c := oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", idNum.String(), "--plan", "monthly",
				"--slots", "3", "--profiles", "ev,ov", "--json")...).stdout)
			code, _ := c["code"].(string)
			if err := vetting.ValidateContractCode(code); err != nil {
				t.Fatalf("contract create --json: code got %q (%v), want 10 digits with a valid check digit", code, err)
			}

			show := oneJSON(t, mustCLI(t, db.args("contract", "show", code, "--json")...).stdout)
			for key, want := range map[string]string{"code": code, "org": idNum.String(), "plan": "monthly",
				"slots": "3", "status": vetting.ContractActive} {
				if got := jsonString(show[key]); got != want {
					t.Errorf("contract show %s: got %q, want %q", key, got, want)
				}
			}
			if got := jsonString(show["profiles"]); got != "[ev ov]" {
				t.Errorf("contract show profiles: got %s, want [ev ov]", got)
			}

			// Flags may follow the positional argument.
			orgShow := oneJSON(t, mustCLI(t, append([]string{"org", "show", idNum.String(), "--json"}, db.flags...)...).stdout)
			if got := jsonString(orgShow["country"]); got != "JP" {
				t.Errorf("org show country: got %q, want %q (normalized to upper case)", got, "JP")
			}
			if got := jsonString(orgShow["name_ja"]); got != "例示商事株式会社" {
				t.Errorf("org show name_ja: got %q, want %q", got, "例示商事株式会社")
			}

			r = mustCLI(t, db.args("eab", "create", "--contract", code, "--json")...)
			e := oneJSON(t, r.stdout)
			kid, _ := e["kid"].(string)
			hmacText, _ := e["hmac"].(string)
			if !strings.HasPrefix(kid, vetting.EABKeyIDPrefix) {
				t.Errorf("eab create kid: got %q, want prefix %q", kid, vetting.EABKeyIDPrefix)
			}
			if got := jsonString(e["contract"]); got != code {
				t.Errorf("eab create contract: got %q, want %q", got, code)
			}
			if strings.ContainsAny(hmacText, "+/=") {
				t.Errorf("eab create hmac %q: want unpadded base64url (no + / =)", hmacText)
			}
			key, err := base64.RawURLEncoding.DecodeString(hmacText)
			if err != nil || len(key) != 32 {
				t.Fatalf("eab create hmac %q: decodes as base64url to %d bytes (%v), want 32", hmacText, len(key), err)
			}
			if strings.Contains(r.stderr, hmacText) {
				t.Errorf("eab create wrote the HMAC key to stderr: %q", r.stderr)
			}

			b := db.open(t)
			cred, err := b.GetEABCredential(ctx, kid)
			if err != nil {
				t.Fatalf("stored credential: %v", err)
			}
			if !bytes.Equal(cred.HMACKey, key) || cred.ContractCode != code || cred.Status != vetting.CredentialActive {
				t.Errorf("stored credential: got contract %s status %s key-matches %v, want %s %s true",
					cred.ContractCode, cred.Status, bytes.Equal(cred.HMACKey, key), code, vetting.CredentialActive)
			}
			stored, err := b.GetContract(ctx, code)
			if err != nil {
				t.Fatalf("stored contract: %v", err)
			}
			if stored.OrganizationID != id || stored.Plan != vetting.PlanMonthly || stored.Slots != 3 || !slices.Equal(stored.Profiles, []string{"ev", "ov"}) {
				t.Errorf("stored contract: got %+v, want org %d monthly 3 slots [ev ov]", stored, id)
			}

			rv := oneJSON(t, mustCLI(t, append([]string{"eab", "revoke", kid, "--json"}, db.flags...)...).stdout)
			if jsonString(rv["kid"]) != kid || jsonString(rv["status"]) != vetting.CredentialRevoked {
				t.Errorf("eab revoke --json: got %v, want kid %s status %s", rv, kid, vetting.CredentialRevoked)
			}
			cred, err = b.GetEABCredential(ctx, kid)
			if err != nil || cred.Status != vetting.CredentialRevoked || cred.RevokedAt == nil {
				t.Errorf("stored credential after revoke: got %+v (%v), want status revoked with a time", cred, err)
			}

			var kinds []string
			for _, ev := range db.auditEvents(t) {
				kinds = append(kinds, ev.Kind)
				if ev.Actor != "cli" {
					t.Errorf("audit %s: actor got %q, want %q", ev.Kind, ev.Actor, "cli")
				}
				if bytes.Contains(ev.Detail, []byte(hmacText)) {
					t.Errorf("audit %s holds the HMAC key", ev.Kind)
				}
			}
			if want := []string{"org.create", "contract.create", "eab.create", "eab.revoke"}; !slices.Equal(kinds, want) {
				t.Errorf("audit kinds: got %v, want %v", kinds, want)
			}

			m = oneJSON(t, mustCLI(t, db.args("migrate", "--json")...).stdout)
			if applied, ok := m["applied"].([]any); !ok || len(applied) != 0 {
				t.Errorf("second migrate --json: got %v, want {\"applied\":[]}", m)
			}
		})
	}
}

// TestAdminHumanOutput checks that without --json every command prints a
// sentence for a person, not JSON, naming what it created.
func TestAdminHumanOutput(t *testing.T) {
	db := newTestDB(t, "sqlite")
	if r := mustCLI(t, db.args("migrate")...); !strings.HasPrefix(r.stdout, "applied ") || !strings.Contains(r.stdout, "migration(s)") {
		t.Errorf("migrate: got %q, want \"applied N migration(s) [...]\"", r.stdout)
	}
	if r := mustCLI(t, db.args("migrate")...); r.stdout != "database is up to date\n" {
		t.Errorf("second migrate: got %q, want %q", r.stdout, "database is up to date\n")
	}

	r := mustCLI(t, db.args("org", "create", "--name", "Example KK", "--country", "JP", "--province", "Osaka-fu", "--locality", "Kita-ku")...)
	if !strings.HasPrefix(r.stdout, "organization 1 created: Example KK (JP, Osaka-fu, Kita-ku)") {
		t.Errorf("org create: got %q, want it to start with %q", r.stdout, "organization 1 created: Example KK (JP, Osaka-fu, Kita-ku)")
	}

	r = mustCLI(t, db.args("contract", "create", "--org", "1")...)
	fields := strings.Fields(r.stdout)
	if len(fields) < 2 || fields[0] != "contract" || vetting.ValidateContractCode(fields[1]) != nil {
		t.Fatalf("contract create: got %q, want \"contract CODE created ...\"", r.stdout)
	}
	code := fields[1]
	for _, want := range []string{"organization 1", "per-certificate", "1 slot(s)", "profiles ov"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("contract create: got %q, want it to mention %q", r.stdout, want)
		}
	}

	r = mustCLI(t, db.args("eab", "create", "--contract", code)...)
	if strings.HasPrefix(strings.TrimSpace(r.stdout), "{") {
		t.Errorf("eab create without --json: got JSON %q, want text", r.stdout)
	}
	b := db.open(t)
	events, err := b.AuditEvents(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	kid := events[len(events)-1].Subject
	cred, err := b.GetEABCredential(context.Background(), kid)
	if err != nil {
		t.Fatalf("credential %s from the audit log: %v", kid, err)
	}
	hmacText := vetting.EncodeHMAC(cred.HMACKey)
	for _, want := range []string{
		"kid:  " + kid, "hmac: " + hmacText,
		"--eab-kid " + kid, "--eab-hmac-key", // certbot
		"--kid " + kid, "--hmac", // lego
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eab create: got %q, want it to contain %q", r.stdout, want)
		}
	}

	r = mustCLI(t, db.args("eab", "revoke", kid)...)
	if want := "EAB credential " + kid + " revoked"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("eab revoke: got %q, want it to start with %q", r.stdout, want)
	}
}

// jsonString renders a decoded JSON value for comparison: strings as is,
// everything else with %v.
func jsonString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = jsonString(p)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
