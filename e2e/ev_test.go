package e2e

import (
	"encoding/asn1"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCertbotEV: officers vet an organization's EV identity with the CLI
// (the recorder may not approve; two other approvers do), and certbot then
// obtains a certificate on the organization's EV contract: issued by the
// EV issuing CA, verified by openssl, with the EV policy and the
// registration number as the subject's serialNumber.
func TestCertbotEV(t *testing.T) {
	if _, err := exec.LookPath("certbot"); err != nil {
		t.Fatalf("certbot is not installed (scripts/test installs it with apt-get): %v", err)
	}
	k := startKakuin(t, "sqlite")
	o := k.cli("org", "create", "--name", "EV Example KK", "--country", "JP", "--province", "Tokyo",
		"--locality", "Minato-ku", "--registration-number", "7000012050002")
	id := int64(o["id"].(float64))
	k.addOfficers()
	c := k.cli("vet", "open", "--org", strconv.FormatInt(id, 10), "--kind", "identity", "--level", "ev",
		"--officer", recorder, "--reason", "EV application")
	caseID := strconv.FormatInt(int64(c["id"].(float64)), 10)
	for _, item := range c["required"].([]any) {
		k.cli("vet", "evidence", caseID, "--officer", approver, "--item", item.(string), "--note", "checked")
	}
	if out, err := k.cliRaw("vet", "approve", caseID, "--officer", approver); err == nil {
		t.Fatalf("the officer who recorded the evidence approved the EV case:\n%s", out)
	}
	k.cli("vet", "approve", caseID, "--officer", approver2)
	if _, err := k.cliRaw("officer", "add", "ito", "--role", "approver"); err != nil {
		t.Fatal(err)
	}
	if got := k.cli("vet", "approve", caseID, "--officer", "ito"); got["status"] != "approved" {
		t.Fatalf("EV case after two approvers: %v", got)
	}
	k.vetCase("--org", strconv.FormatInt(id, 10), "--kind", "domain", "--subject", testDomain)

	code := k.cli("contract", "create", "--org", strconv.FormatInt(id, 10), "--profiles", "ev", "--slots", "5")["code"].(string)
	e := k.cli("eab", "create", "--contract", code)
	cb := &certbot{k: k, dir: t.TempDir(), eab: eab{KID: e["kid"].(string), HMAC: e["hmac"].(string), Contract: code, OrgID: id}}
	names := []string{"ev.example.jp"}
	cb.certonly(t, "ev", names, append(cb.standalone(), "--key-type", "ecdsa")...)

	certs := readPEMCerts(t, cb.live("ev", "fullchain.pem"))
	leaf, issuer := certs[0], certs[1]
	out, err := exec.Command("openssl", "verify", "-CAfile", k.rootPEM, "-untrusted", writePEM(t, issuer), "-purpose", "sslserver",
		writePEM(t, leaf)).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
	if !strings.Contains(issuer.Subject.CommonName, "EV") {
		t.Errorf("issuer: got %q, want the EV issuing CA", issuer.Subject.CommonName)
	}
	if !slices.EqualFunc(leaf.PolicyIdentifiers, []asn1.ObjectIdentifier{{2, 23, 140, 1, 1}, {1, 3, 6, 1, 4, 1, 99999, 1, 1}},
		asn1.ObjectIdentifier.Equal) {
		t.Errorf("policies: got %v, want the EV policy, then the CA's own (%s)", leaf.PolicyIdentifiers, testEVPolicy)
	}
	if leaf.Subject.SerialNumber != "7000012050002" {
		t.Errorf("subject serialNumber: got %q, want the corporate number", leaf.Subject.SerialNumber)
	}
}
