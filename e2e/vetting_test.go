package e2e

import (
	"strconv"
	"strings"
)

// Test officers, added with the CLI: a specialist records evidence, two
// approvers decide (EV needs both, neither the recorder).
const (
	recorder  = "sato"
	approver  = "tanaka"
	approver2 = "suzuki"
)

// testDomain is the registered domain of every name the e2e tests order.
const testDomain = "example.jp"

// addOfficers adds the test officers once per database.
func (k *kakuin) addOfficers() {
	k.t.Helper()
	for _, o := range [][2]string{{recorder, "specialist"}, {approver, "approver"}, {approver2, "approver"}} {
		if out, err := k.cliRaw("officer", "add", o[0], "--role", o[1]); err != nil && !strings.Contains(string(out), "already exists") {
			k.t.Fatalf("kakuin officer add %s: %v\n%s", o[0], err, out)
		}
	}
}

// vetOrg vets an organization's identity at level and its use of the
// domains with the CLI, as officers do ahead of its first order: each case
// opened, its checklist recorded, and approved (twice for EV).
func (k *kakuin) vetOrg(orgID int64, level string, domains ...string) {
	k.t.Helper()
	k.addOfficers()
	org := strconv.FormatInt(orgID, 10)
	k.vetCase("--org", org, "--kind", "identity", "--level", level)
	for _, d := range domains {
		k.vetCase("--org", org, "--kind", "domain", "--subject", d)
	}
}

// vetCase opens a case with the flags and works it to approval.
func (k *kakuin) vetCase(flags ...string) {
	k.t.Helper()
	c := k.cli(append([]string{"vet", "open", "--officer", recorder, "--reason", "vetted ahead of the first order"}, flags...)...)
	k.approveCase(c)
}

// approveCase records every required checklist item of the case (as the
// CLI printed it) and approves it.
func (k *kakuin) approveCase(c map[string]any) {
	k.t.Helper()
	id := strconv.FormatInt(int64(c["id"].(float64)), 10)
	required, _ := c["required"].([]any)
	for _, item := range required {
		k.cli("vet", "evidence", id, "--officer", recorder, "--item", item.(string), "--note", "checked against the registry")
	}
	if got := k.cli("vet", "approve", id, "--officer", approver); got["status"] == "approved" {
		return
	}
	k.cli("vet", "approve", id, "--officer", approver2)
}
