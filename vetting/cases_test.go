package vetting_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// caseEnv is a vetting Service on a real (SQLite) store with a clock the
// test moves.
type caseEnv struct {
	t   *testing.T
	s   *vetting.Service
	db  store.Backend
	now time.Time
	org *vetting.Organization
}

func newCaseEnv(t *testing.T, highRisk ...string) *caseEnv {
	t.Helper()
	db, err := store.Open(t.Context(), store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "k.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := &caseEnv{t: t, db: db, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	e.s = vetting.New(vetting.Options{Store: db, Cases: db, HighRisk: highRisk, Clock: func() time.Time { return e.now }})
	e.org, err = e.s.CreateOrganization(t.Context(), vetting.OrganizationInput{Name: "Example Trading KK", Country: "JP",
		Province: "Tokyo", Locality: "Chiyoda-ku", RegistrationNumber: "7000012050002"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"sato": vetting.RoleSpecialist, "tanaka": vetting.RoleApprover,
		"suzuki": vetting.RoleApprover, "ito": vetting.RoleApprover, "admin": vetting.RoleAdmin} {
		if _, err := e.s.AddOfficer(t.Context(), name, role, "cli"); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *caseEnv) gate(profile, name string) *vetting.GateResult {
	e.t.Helper()
	r, err := e.s.Gate(context.Background(), vetting.GateInput{OrganizationID: e.org.ID, Profile: profile, Name: name})
	if err != nil {
		e.t.Fatalf("Gate(%s, %s): %v", profile, name, err)
	}
	return r
}

func (e *caseEnv) evidence(caseID int64, officer string, items ...string) {
	e.t.Helper()
	for _, item := range items {
		if _, err := e.s.RecordEvidence(context.Background(), caseID, officer, item, "checked "+item+" against the registry"); err != nil {
			e.t.Fatalf("RecordEvidence(%d, %s, %s): %v", caseID, officer, item, err)
		}
	}
}

func (e *caseEnv) approve(caseID int64, officer string) *vetting.Case {
	e.t.Helper()
	c, err := e.s.Approve(context.Background(), caseID, officer, "", "")
	if err != nil {
		e.t.Fatalf("Approve(%d, %s): %v", caseID, officer, err)
	}
	return c
}

func wantRefused(t *testing.T, what string, err, kind error, text string) {
	t.Helper()
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: got %v, want %v containing %q", what, err, kind, text)
	}
}

// caseOf returns the case of kind among ids.
func (e *caseEnv) caseOf(ids []int64, kind string) *vetting.Case {
	e.t.Helper()
	for _, id := range ids {
		c, err := e.s.Case(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if c.Kind == kind {
			return c
		}
	}
	e.t.Fatalf("no %s case among %v", kind, ids)
	return nil
}

var ovItems = []string{vetting.ItemLegalExistence, vetting.ItemRegistrationNumber, vetting.ItemPhoneVerification}

func TestGateOVHoldThenApprove(t *testing.T) {
	e := newCaseEnv(t)
	r := e.gate(vetting.ProfileOV, "www.example.co.jp")
	if !r.Held || r.Rejected || len(r.Cases) != 2 || !strings.Contains(r.Reason, "OV identity of Example Trading KK") ||
		!strings.Contains(r.Reason, "use of example.co.jp") {
		t.Fatalf("first gate: got %+v, want held on an identity and a domain case", r)
	}
	again := e.gate(vetting.ProfileOV, "shop.example.co.jp")
	if !slices.Equal(again.Cases, r.Cases) {
		t.Errorf("second gate for the same organization and domain: got cases %v, want the same %v", again.Cases, r.Cases)
	}
	identity, domain := e.caseOf(r.Cases, vetting.CaseIdentity), e.caseOf(r.Cases, vetting.CaseDomain)
	if domain.Subject != "example.co.jp" {
		t.Errorf("domain case subject: got %q, want the registered domain example.co.jp", domain.Subject)
	}

	_, err := e.s.Approve(t.Context(), identity.ID, "tanaka", "", "")
	wantRefused(t, "approval without evidence", err, vetting.ErrInvalid, "evidence missing for legal-existence, registration-number, phone-verification")
	e.evidence(identity.ID, "sato", ovItems...)
	_, err = e.s.Approve(t.Context(), identity.ID, "sato", "", "")
	wantRefused(t, "approval by a specialist", err, vetting.ErrForbidden, "officer sato is a specialist")
	_, err = e.s.RecordEvidence(t.Context(), identity.ID, "sato", vetting.ItemHRConfirmation, "x")
	wantRefused(t, "EV item on an OV case", err, vetting.ErrInvalid, "take legal-existence")
	if c := e.approve(identity.ID, "tanaka"); c.Status != vetting.CaseApproved || c.DecidedBy != "tanaka" {
		t.Fatalf("OV identity case after one approval: got %+v, want approved by tanaka", c)
	}
	_, err = e.s.Approve(t.Context(), identity.ID, "suzuki", "", "")
	wantRefused(t, "approving an approved case", err, vetting.ErrConflict, "already approved by tanaka")

	if r := e.gate(vetting.ProfileOV, "www.example.co.jp"); !r.Held || len(r.Cases) != 1 || r.Cases[0] != domain.ID {
		t.Fatalf("gate with identity vetted: got %+v, want held on the domain case only", r)
	}
	e.evidence(domain.ID, "sato", vetting.ItemDomainOwner)
	if _, err := e.s.Approve(t.Context(), domain.ID, "tanaka", "registrar record checked", "owner: Example Holdings KK, letter of 2026-11-20"); err != nil {
		t.Fatal(err)
	}
	if r := e.gate(vetting.ProfileOV, "www.example.co.jp"); r.Held || r.Rejected {
		t.Fatalf("gate with everything approved: got %+v, want clear", r)
	}
	if r := e.gate(vetting.ProfileEV, "www.example.co.jp"); !r.Held || e.caseOf(r.Cases, vetting.CaseIdentity).Level != vetting.ProfileEV {
		t.Fatalf("EV gate with only OV identity: got %+v, want held on an EV identity case", r)
	}
	da, err := e.db.DomainApproval(t.Context(), e.org.ID, "example.co.jp")
	if err != nil || da.OwnerConsent != "owner: Example Holdings KK, letter of 2026-11-20" || !da.ExpiresAt.Equal(e.now.Add(vetting.DomainApprovalValidity)) {
		t.Errorf("domain approval: got %+v, %v; want the owner's consent, 398 days", da, err)
	}

	// Renewals: 380 days on, the identity is still fresh but a re-vetting
	// case opens ahead; past 398 days the gate holds again.
	e.now = e.now.Add(380 * 24 * time.Hour)
	if r := e.gate(vetting.ProfileOV, "www.example.co.jp"); r.Held {
		t.Fatalf("gate 380 days on: got %+v, want clear", r)
	}
	open, err := e.s.Cases(t.Context(), vetting.CaseOpen, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ahead int
	for _, c := range open {
		if c.Level == vetting.ProfileOV && strings.Contains(c.Reason, "re-vetting ahead of renewals") {
			ahead++
		}
	}
	if ahead != 2 {
		t.Errorf("re-vetting cases opened ahead: got %d, want 2 (identity and domain): %+v", ahead, open)
	}
	e.now = e.now.Add(20 * 24 * time.Hour)
	if r := e.gate(vetting.ProfileOV, "www.example.co.jp"); !r.Held {
		t.Fatalf("gate 400 days on: got %+v, want held", r)
	}
	verifyAudit(t, e.db)
}

func TestGateEVSeparationOfDuties(t *testing.T) {
	e := newCaseEnv(t)
	r := e.gate(vetting.ProfileEV, "www.example.co.jp")
	ev := e.caseOf(r.Cases, vetting.CaseIdentity)
	e.evidence(ev.ID, "tanaka", append(ovItems, vetting.ItemApplicantCall, vetting.ItemHRConfirmation, vetting.ItemSubscriberAgreement)...)

	before := auditCount(t, e.db)
	_, err := e.s.Approve(t.Context(), ev.ID, "tanaka", "", "")
	wantRefused(t, "EV approval by the officer who recorded evidence", err, vetting.ErrForbidden, "separation of duties")
	if got := auditCount(t, e.db); got != before+1 {
		t.Errorf("refused approval: got %d new audit events, want 1 (case.refused)", got-before)
	}
	if c := e.approve(ev.ID, "suzuki"); c.Status != vetting.CaseOpen || len(c.Approvals) != 1 {
		t.Fatalf("EV case after one approval: got %+v, want still open with one approval", c)
	}
	_, err = e.s.Approve(t.Context(), ev.ID, "suzuki", "", "")
	wantRefused(t, "same officer approving EV twice", err, vetting.ErrForbidden, "second, different officer")
	if c := e.approve(ev.ID, "ito"); c.Status != vetting.CaseApproved || len(c.Approvals) != 2 {
		t.Fatalf("EV case after the second officer: got %+v, want approved with two approvals", c)
	}
	id, err := e.db.OrgIdentity(t.Context(), e.org.ID, vetting.ProfileEV)
	if err != nil || id.CaseID != ev.ID {
		t.Fatalf("EV identity: got %+v, %v; want recorded from case %d", id, err, ev.ID)
	}
	events, err := e.db.AuditEvents(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, func(a *vetting.AuditEvent) bool {
		return a.Kind == "case.refused" && a.Actor == "officer:tanaka" && strings.Contains(string(a.Detail), "separation of duties")
	}) {
		t.Error("no case.refused audit event for tanaka's attempt")
	}
	verifyAudit(t, e.db)
}

func TestGateRejectAndHighRisk(t *testing.T) {
	e := newCaseEnv(t, "*.bank.example", "*paypal*")
	r := e.gate(vetting.ProfileOV, "login.bank.example")
	hr := e.caseOf(r.Cases, vetting.CaseHighRisk)
	if hr.Subject != "login.bank.example" {
		t.Fatalf("high-risk case subject: got %q", hr.Subject)
	}
	if r := e.gate(vetting.ProfileOV, "www.example.jp"); slices.Contains(r.Cases, hr.ID) {
		t.Error("a name off the list joined the high-risk case")
	}
	e.gate(vetting.ProfileOV, "secure-paypal-login.example.jp") // checked below through the case list

	_, err := e.s.Reject(t.Context(), hr.ID, "sato", "phishing lookalike")
	wantRefused(t, "rejection by a specialist", err, vetting.ErrForbidden, "needs the approver role")
	_, err = e.s.Reject(t.Context(), hr.ID, "tanaka", "  ")
	wantRefused(t, "rejection without a reason", err, vetting.ErrInvalid, "reason: is required")
	if _, err := e.s.Reject(t.Context(), hr.ID, "tanaka", "The name imitates a bank; ask your sales contact."); err != nil {
		t.Fatal(err)
	}
	if r := e.gate(vetting.ProfileOV, "login.bank.example"); !r.Rejected || r.Reason != "The name imitates a bank; ask your sales contact." {
		t.Fatalf("gate after rejection: got %+v, want rejected with the officer's reason", r)
	}
	_, err = e.s.Approve(t.Context(), hr.ID, "tanaka", "", "")
	wantRefused(t, "approving a rejected case", err, vetting.ErrConflict, "already rejected")
	_, err = e.s.RecordEvidence(t.Context(), hr.ID, "sato", vetting.ItemContentReview, "late note")
	wantRefused(t, "evidence on a decided case", err, vetting.ErrConflict, "already decided")
	_, err = e.s.Approve(t.Context(), 9999, "tanaka", "", "")
	wantRefused(t, "unknown case", err, vetting.ErrNotFound, "case 9999 not found")
	_, err = e.s.Approve(t.Context(), hr.ID, "Robert'); DROP", "", "")
	wantRefused(t, "malformed officer name", err, vetting.ErrInvalid, "not a valid login name")
	_, err = e.s.Approve(t.Context(), hr.ID, "nobody", "", "")
	wantRefused(t, "unknown officer", err, vetting.ErrForbidden, "no officer named")

	open, err := e.s.Cases(t.Context(), vetting.CaseOpen, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(open, func(c *vetting.Case) bool {
		return c.Kind == vetting.CaseHighRisk && c.Subject == "secure-paypal-login.example.jp"
	}) {
		t.Errorf("pattern *paypal*: no open high-risk case for secure-paypal-login.example.jp in %+v", open)
	}
	verifyAudit(t, e.db)
}

func TestAddOfficerRefused(t *testing.T) {
	e := newCaseEnv(t)
	tests := []struct {
		name, officer, role, actor string
		want                       error
		text                       string
	}{
		{"bad name", "Tanaka San", vetting.RoleApprover, "cli", vetting.ErrInvalid, "lower-case letters"},
		{"bad role", "kato", "boss", "cli", vetting.ErrInvalid, "must be specialist, approver or admin"},
		{"duplicate", "tanaka", vetting.RoleApprover, "cli", vetting.ErrDuplicate, "officer tanaka already exists"},
		{"added by an approver", "kato", vetting.RoleApprover, "officer:tanaka", vetting.ErrForbidden, "needs the admin role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.AddOfficer(t.Context(), tt.officer, tt.role, tt.actor)
			wantRefused(t, "AddOfficer", err, tt.want, tt.text)
		})
	}
	if _, err := e.s.AddOfficer(t.Context(), "kato", vetting.RoleSpecialist, "officer:admin"); err != nil {
		t.Errorf("added by an admin officer: %v", err)
	}
}

func auditCount(t *testing.T, db store.Backend) int {
	t.Helper()
	evs, err := db.AuditEvents(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func verifyAudit(t *testing.T, db store.Backend) {
	t.Helper()
	check, err := db.VerifyAudit(t.Context())
	if err != nil || len(check.Problems) != 0 {
		t.Errorf("audit log: %+v, %v", check, err)
	}
}

// TestEVApprovalNeedsRegistrationNumber: EV certificates carry the
// registration number, so an organization without one is not EV-vetted.
func TestEVApprovalNeedsRegistrationNumber(t *testing.T) {
	e := newCaseEnv(t)
	org, err := e.s.CreateOrganization(t.Context(), vetting.OrganizationInput{Name: "No Number KK", Country: "JP",
		Province: "Tokyo", Locality: "Minato-ku"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.s.OpenCase(t.Context(), vetting.CaseInput{Kind: vetting.CaseIdentity, OrganizationID: org.ID, Level: vetting.ProfileEV,
		Reason: "EV"}, "sato")
	if err != nil {
		t.Fatal(err)
	}
	e.evidence(c.ID, "sato", append(ovItems, vetting.ItemApplicantCall, vetting.ItemHRConfirmation, vetting.ItemSubscriberAgreement)...)
	_, err = e.s.Approve(t.Context(), c.ID, "tanaka", "", "")
	wantRefused(t, "EV approval without a registration number", err, vetting.ErrInvalid, "has none")
}
