package main

import (
	"strings"
	"testing"
)

// TestRenewalPullForwardRefusals: every malformed `kakuin renewal
// pull-forward` is refused with what to fix, and a selection nothing
// matches changes nothing. The happy path runs against a real server in
// e2e (TestLegoLibraryARI).
func TestRenewalPullForwardRefusals(t *testing.T) {
	db := newTestDB(t, "sqlite")
	mustCLI(t, db.args("migrate")...)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"renewal"}, "pull-forward"},
		{"unknown subcommand", []string{"renewal", "push-back"}, `unknown subcommand "push-back"`},
		{"no selection", []string{"renewal", "pull-forward"}, "say which certificates"},
		{"all with criteria", []string{"renewal", "pull-forward", "--all", "--issuer", "ov"}, "give it alone"},
		{"bad serial", []string{"renewal", "pull-forward", "--serial", "xyz"}, "not a hex serial"},
		{"long serial", []string{"renewal", "pull-forward", "--serial", strings.Repeat("7f", 21)}, "longer than 20 octets"},
		{"unknown issuer", []string{"renewal", "pull-forward", "--issuer", "root"}, `--issuer "root": want ov or ev`},
		{"bad contract code", []string{"renewal", "pull-forward", "--contract", "123"}, "--contract"},
		{"bad day", []string{"renewal", "pull-forward", "--issued-before", "12/01/2026"}, "want a day such as 2026-12-01"},
		{"bad start", []string{"renewal", "pull-forward", "--all", "--start", "tomorrow"}, "want a time such as"},
		{"window too short", []string{"renewal", "pull-forward", "--all", "--within", "10m"}, "want 1h to 720h"},
		{"window too long", []string{"renewal", "pull-forward", "--all", "--within", "1000h"}, "want 1h to 720h"},
		{"bad explanation", []string{"renewal", "pull-forward", "--all", "--explanation", "incident-42"}, "absolute http or https URL"},
	} {
		r := runCLI(t, db.args(tt.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%s: got exit %d, stdout %q, stderr %q; want a failure saying %q", tt.name, r.code, r.stdout, r.stderr, tt.want)
		}
	}
	out := oneJSON(t, mustCLI(t, db.args("renewal", "pull-forward", "--serial", "7f01,7F:02", "--json")...).stdout)
	if got, _ := out["serials"].([]any); got == nil || len(got) != 0 {
		t.Errorf("unknown serials: got %v, want an empty list", out)
	}
	human := mustCLI(t, db.args("renewal", "pull-forward", "--serial", "7f01")...).stdout
	if !strings.Contains(human, "0 certificate(s)") || !strings.Contains(human, "unchanged (unknown, revoked, expired, or already due no later): ") || !strings.HasSuffix(human, "7f01\n") {
		t.Errorf("human output: got %q, want 0 certificates and 7f01 unchanged", human)
	}
	var events int
	for _, e := range db.auditEvents(t) {
		if e.Kind == "renewal_window" && e.Actor == "operator:cli" {
			events++
		}
	}
	if events != 2 {
		t.Errorf("renewal_window audit events: got %d, want 2 (one per pull, refused ones none)", events)
	}
}
