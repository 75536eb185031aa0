package acme_test

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/vetting"
)

// planClient registers an account on a new contract of the plan.
func (e *testEnv) planClient(t *testing.T, plan string, slots int) *xacme.Client {
	t.Helper()
	c, err := e.vet.CreateContract(context.Background(), vetting.ContractInput{OrganizationID: e.org.ID, Plan: plan, Slots: slots}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return e.registerWith(t, nil, e.newEAB(t, c))
}

// wantPlanRefusal checks that err is the plan's refusal naming the held
// name sets.
func wantPlanRefusal(t *testing.T, what string, err error, detail ...string) {
	t.Helper()
	var ae *xacme.Error
	if !errors.As(err, &ae) || ae.ProblemType != "urn:ietf:params:acme:error:unauthorized" || ae.StatusCode != 403 {
		t.Fatalf("%s: got %v, want a 403 unauthorized problem", what, err)
	}
	for _, d := range detail {
		if !strings.Contains(ae.Detail, d) {
			t.Errorf("%s: detail %q lacks %q", what, ae.Detail, d)
		}
	}
}

func TestMonthlyPlan(t *testing.T) { forEachBackend(t, testMonthlyPlan) }

// testMonthlyPlan is the acceptance of the monthly plan with N=2: two name
// sets issue, a third is refused with the plan's state, a renewal of the
// first takes no slot, and once the second is revoked the third issues.
func testMonthlyPlan(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	c := e.planClient(t, vetting.PlanMonthly, 2)
	first, _, _ := e.issue(t, c, "http-01", "a.plan.example.jp", "www.a.plan.example.jp")
	second, _, _ := e.issue(t, c, "http-01", "b.plan.example.jp")

	_, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("c.plan.example.jp"))
	wantPlanRefusal(t, "third name set", err, "monthly plan is full", "2 of 2", "[a.plan.example.jp, www.a.plan.example.jp]", "[b.plan.example.jp]")

	renewed, _, _ := e.issue(t, c, "http-01", "www.a.plan.example.jp", "a.plan.example.jp")
	if string(renewed[0]) == string(first[0]) {
		t.Error("renewal returned the same certificate")
	}
	if err := c.RevokeCert(ctx, nil, second[0], xacme.CRLReasonCessationOfOperation); err != nil {
		t.Fatalf("RevokeCert: %v", err)
	}
	e.issue(t, c, "http-01", "c.plan.example.jp")

	// What invoicing sees: four certificates, the second revoked, and this
	// month's slots.
	code := e.accountOf(t, c).ContractCode
	certs, err := e.store.ContractCertificates(ctx, code)
	if err != nil || len(certs) != 4 || certs[1].RevokedAt == nil || strings.Join(certs[0].Names, " ") != "a.plan.example.jp www.a.plan.example.jp" {
		t.Fatalf("ContractCertificates: got %+v, %v; want the 4 certificates in order, the second revoked", certs, err)
	}
	contract, err := e.vet.Contract(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	usage := vetting.BuildUsage(contract, e.now(), certs)
	if today := usage.Days[e.now().UTC().Day()-1]; len(usage.Issuances) != 4 || today.Slots != 3 {
		t.Errorf("usage: got %d issuances and %d slots today, want 4 and 3 (a, b until its revocation, c)", len(usage.Issuances), today.Slots)
	}
}

func TestLicensePlan(t *testing.T) { forEachBackend(t, testLicensePlan) }

// testLicensePlan: a license is a name set's for the contract's term, so
// revoking its certificate frees nothing, while reissuing it takes nothing.
func testLicensePlan(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	c := e.planClient(t, vetting.PlanPerCertificate, 1)
	chain, _, _ := e.issue(t, c, "dns-01", "one.license.example.jp")
	_, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("two.license.example.jp"))
	wantPlanRefusal(t, "second name set", err, "used all 1 of its licenses", "[one.license.example.jp]")
	if err := c.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonSuperseded); err != nil {
		t.Fatal(err)
	}
	_, err = c.AuthorizeOrder(ctx, xacme.DomainIDs("two.license.example.jp"))
	wantPlanRefusal(t, "second name set after revoking the first", err, "used all 1 of its licenses")
	e.issue(t, c, "dns-01", "one.license.example.jp")
}

// TestPlanCheckedAtFinalize: an order created while the plan had room is
// refused at finalize once another name set has taken the last slot.
func TestPlanCheckedAtFinalize(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := e.planClient(t, vetting.PlanMonthly, 1)
	waiting := e.authorize(t, c, "http-01", "late.plan.example.jp")
	e.issue(t, c, "http-01", "early.plan.example.jp")
	_, _, err := c.CreateOrderCert(ctx, waiting.FinalizeURL, newCSR(t, newECKey(t, elliptic.P256()), "late.plan.example.jp"), true)
	wantPlanRefusal(t, "finalize after the slot was taken", err, "monthly plan is full", "[early.plan.example.jp]")
}

func TestReissueSupersedes(t *testing.T) { forEachBackend(t, testReissueSupersedes) }

// testReissueSupersedes: a new certificate for the same names more than
// 90 days before the current one expires is a reissue, and the current one
// is revoked as superseded once it is issued; within 90 days of expiry it
// is a renewal, and the current one runs out on its own.
func testReissueSupersedes(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	c := e.register(t, nil)
	status := func(chain [][]byte) *int {
		t.Helper()
		leaf, err := x509.ParseCertificate(chain[0])
		if err != nil {
			t.Fatal(err)
		}
		cert, err := e.store.GetCertificate(ctx, caSerial(leaf))
		if err != nil {
			t.Fatal(err)
		}
		if cert.RevokedAt == nil {
			return nil
		}
		return &cert.RevokedReason
	}
	first, _, _ := e.issue(t, c, "http-01", "reissue.example.jp")
	second, _, _ := e.issue(t, c, "http-01", "reissue.example.jp")
	if r := status(first); r == nil || *r != 4 {
		t.Errorf("reissued certificate: revocation reason got %v, want 4 (superseded)", r)
	}
	if r := status(second); r != nil {
		t.Errorf("the reissue itself: revoked with %d", *r)
	}

	e.offset.Store(int64(120 * 24 * time.Hour)) // 80 days before the second expires
	e.issue(t, c, "http-01", "reissue.example.jp")
	if r := status(second); r != nil {
		t.Errorf("renewed certificate: revoked with reason %d, want left to expire", *r)
	}
}

func TestContractTerm(t *testing.T) { forEachBackend(t, testContractTerm) }

// testContractTerm: a license is a name set's for the contract's term, so
// a new term frees it; outside its term a contract gets no order.
func testContractTerm(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	c := e.planClient(t, vetting.PlanPerCertificate, 1)
	code := e.accountOf(t, c).ContractCode
	e.issue(t, c, "http-01", "first.term.example.jp")
	_, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("second.term.example.jp"))
	wantPlanRefusal(t, "second name set in the first term", err, "used all 1 of its licenses")

	// The next term starts now: its one license is free again.
	now := e.now()
	if _, err := e.vet.SetContractTerm(ctx, code, now, now.AddDate(1, 0, 0), "test"); err != nil {
		t.Fatal(err)
	}
	e.issue(t, c, "http-01", "second.term.example.jp")

	// A term that ended a year ago: no more orders.
	if _, err := e.vet.SetContractTerm(ctx, code, now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0), "test"); err != nil {
		t.Fatal(err)
	}
	_, err = c.AuthorizeOrder(ctx, xacme.DomainIDs("second.term.example.jp"))
	wantPlanRefusal(t, "order after the term ended", err, "term ended on", "kakuin contract term")
}

// TestEVIssuance: an EV contract's order, once two officers have approved
// the organization's EV identity, is issued by the EV issuing CA with the
// EV policy and the EV subject from the vetted record.
func TestEVIssuance(t *testing.T) { forEachBackend(t, testEVIssuance) }

func testEVIssuance(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	org, err := e.vet.CreateOrganization(ctx, vetting.OrganizationInput{Name: "EV Example KK", Country: "JP", Province: "Tokyo",
		Locality: "Minato-ku", RegistrationNumber: "7000012050002"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	contract, err := e.vet.CreateContract(ctx, vetting.ContractInput{OrganizationID: org.ID, Profiles: []string{"ev"}, Slots: 5}, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := e.registerWith(t, nil, e.newEAB(t, contract))
	chain, _, _ := e.issue(t, c, "http-01", "www.ev.example.jp")
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		t.Fatal(err)
	}
	evCA, ok := e.authority.IssuerCertificate("ev")
	if !ok {
		t.Fatal("no EV issuing CA")
	}
	if err := leaf.CheckSignatureFrom(evCA); err != nil || len(leaf.Policies) != 1 || leaf.Policies[0].String() != "2.23.140.1.1" {
		t.Errorf("EV leaf: signature by the EV CA %v, policies %v; want the EV CA and 2.23.140.1.1 only", err, leaf.Policies)
	}
	if leaf.Subject.SerialNumber != "7000012050002" || leaf.Subject.Organization[0] != "EV Example KK" {
		t.Errorf("EV subject: got %v", leaf.Subject)
	}
	id, err := e.store.OrgIdentity(ctx, org.ID, "ev")
	if err != nil {
		t.Fatalf("EV identity: %v", err)
	}
	cs, err := e.vet.Case(ctx, id.CaseID)
	if err != nil || len(cs.Approvals) != 2 || cs.Approvals[0].Officer == cs.Approvals[1].Officer {
		t.Errorf("EV case: got %+v, %v; want approved by two different officers", cs, err)
	}
}

// TestOrderProfiles: the directory lists ov and ev; newOrder's profile
// picks one the contract allows, an unknown or disallowed one is
// invalidProfile, and none is the contract's default.
func TestOrderProfiles(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(t, mustRequest(t, "GET", e.directoryURL()))
	var dir struct {
		Meta struct{ Profiles map[string]string } `json:"meta"`
	}
	if err := json.Unmarshal(r.body, &dir); err != nil || dir.Meta.Profiles["ov"] == "" || dir.Meta.Profiles["ev"] == "" {
		t.Fatalf("directory meta.profiles: got %s", r.body)
	}
	c := e.register(t, nil) // an OV-only contract
	order := func(profile string) *response {
		t.Helper()
		payload := map[string]any{"identifiers": []map[string]string{{"type": "dns", "value": "profile.example.jp"}}}
		if profile != "" {
			payload["profile"] = profile
		}
		return e.signedPost(t, "/acme/new-order", rawJWS{key: c.Key, kid: string(c.KID), payload: mustJSON(t, payload)})
	}
	for _, tt := range []struct{ profile, want, detail string }{
		{"ev", "invalidProfile", "does not allow the ev profile; it allows ov"},
		{"dv", "invalidProfile", `profile "dv" is not offered`},
	} {
		if r := order(tt.profile); r.status != 400 || r.problemType() != tt.want || !strings.Contains(r.problem["detail"].(string), tt.detail) {
			t.Errorf("profile %q: got %d %s %v, want 400 %s", tt.profile, r.status, r.problemType(), r.problem["detail"], tt.want)
		}
	}
	for _, profile := range []string{"", "ov"} {
		r := order(profile)
		var o struct{ Profile string }
		json.Unmarshal(r.body, &o)
		if r.status != 201 || o.Profile != "ov" {
			t.Errorf("profile %q on an OV contract: got %d %s, want 201 with profile ov", profile, r.status, r.body)
		}
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// ariID is a certificate's ARI identifier (RFC 9773 §4.1).
func ariID(t *testing.T, der []byte) string {
	t.Helper()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(cert.AuthorityKeyId) + "." + base64.RawURLEncoding.EncodeToString(cert.SerialNumber.Bytes())
}

// orderReplacing sends a newOrder for names that replaces the certificate
// with ARI identifier id.
func (e *testEnv) orderReplacing(t *testing.T, c *xacme.Client, id string, names ...string) *response {
	t.Helper()
	var ids []map[string]string
	for _, n := range names {
		ids = append(ids, map[string]string{"type": "dns", "value": n})
	}
	return e.signedPost(t, "/acme/new-order", rawJWS{key: c.Key, kid: string(c.KID),
		payload: mustJSON(t, map[string]any{"identifiers": ids, "replaces": id})})
}

func TestReplaces(t *testing.T) { forEachBackend(t, testReplaces) }

// testReplaces: an order that replaces a certificate (RFC 9773 "replaces")
// takes its slot or license, may change its names (a license plan only
// within 25 days of issuance), and revokes it as superseded once issued;
// a replaces that names no certificate of the contract is malformed.
func testReplaces(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	revoked := func(der []byte) bool {
		t.Helper()
		leaf, _ := x509.ParseCertificate(der)
		cert, err := e.store.GetCertificate(ctx, caSerial(leaf))
		if err != nil {
			t.Fatal(err)
		}
		return cert.RevokedAt != nil && cert.RevokedReason == 4
	}

	monthly := e.planClient(t, vetting.PlanMonthly, 1)
	a, _, _ := e.issue(t, monthly, "http-01", "a.replace.example.jp")
	if r := e.orderReplacing(t, monthly, ariID(t, a[0]), "b.replace.example.jp"); r.status != 201 {
		t.Fatalf("monthly plan, name change replacing a: got %d %s", r.status, r.body)
	}
	e.issue(t, monthly, "http-01", "b.replace.example.jp")
	if !revoked(a[0]) {
		t.Error("the replaced certificate is not revoked as superseded")
	}

	license := e.planClient(t, vetting.PlanPerCertificate, 1)
	one, _, _ := e.issue(t, license, "http-01", "one.replace.example.jp")
	if r := e.orderReplacing(t, license, ariID(t, one[0]), "two.replace.example.jp"); r.status != 201 {
		t.Fatalf("license plan, name change within 25 days: got %d %s", r.status, r.body)
	}
	two, _, _ := e.issue(t, license, "http-01", "two.replace.example.jp")
	e.offset.Store(int64(30 * 24 * time.Hour))
	if r := e.orderReplacing(t, license, ariID(t, two[0]), "three.replace.example.jp"); r.status != 403 ||
		!strings.Contains(r.problem["detail"].(string), "only within 25 days") {
		t.Errorf("license plan, name change after 25 days: got %d %s", r.status, r.body)
	}
	e.offset.Store(0)

	for _, tt := range []struct{ name, id, detail string }{
		{"not an ARI identifier", "not-an-id", "not an ARI certificate identifier"},
		{"a certificate of another contract", ariID(t, a[0]), "not one of contract"},
		{"an unknown serial", strings.Split(ariID(t, one[0]), ".")[0] + ".AQID", "did not issue"},
	} {
		if r := e.orderReplacing(t, license, tt.id, "four.replace.example.jp"); r.status != 400 || r.problemType() != "malformed" ||
			!strings.Contains(r.problem["detail"].(string), tt.detail) {
			t.Errorf("%s: got %d %s", tt.name, r.status, r.body)
		}
	}
}
