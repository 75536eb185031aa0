package acme_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// Test officers: a specialist records evidence, approvers decide (two for
// EV, neither the recorder).
const (
	testRecorder  = "recorder"
	testApprover  = "approver-a"
	testApprover2 = "approver-b"
)

// addTestOfficers adds the test officers to the vetting data (once per
// database; a sharing environment finds them there).
func addTestOfficers(t testing.TB, vet *vetting.Service) {
	t.Helper()
	for name, role := range map[string]string{testRecorder: vetting.RoleSpecialist,
		testApprover: vetting.RoleApprover, testApprover2: vetting.RoleApprover} {
		if _, err := vet.AddOfficer(context.Background(), name, role, "test"); err != nil && !errors.Is(err, vetting.ErrDuplicate) {
			t.Fatalf("AddOfficer(%s): %v", name, err)
		}
	}
}

// vetCase opens the case for a question and decides it as officers would:
// every required checklist item recorded, then approved (twice for EV).
func vetCase(ctx context.Context, vet *vetting.Service, in vetting.CaseInput) (*vetting.Case, error) {
	c, _, err := vet.OpenCase(ctx, in, testRecorder)
	if err != nil {
		return nil, err
	}
	required, _ := vetting.Checklist(c.Kind, c.Level)
	for _, item := range required {
		if _, err := vet.RecordEvidence(ctx, c.ID, testRecorder, item, "checked for the test"); err != nil {
			return nil, err
		}
	}
	if c, err = vet.Approve(ctx, c.ID, testApprover, "", ""); err != nil || c.Status == vetting.CaseApproved {
		return c, err
	}
	return vet.Approve(ctx, c.ID, testApprover2, "", "")
}

// approvingVetting is the real vetting service whose gate finds every
// organization and domain already vetted: before each Gate call, it runs
// the officers' workflow (vetCase) for what is missing. Tests of the
// protocol use it so that the hold does not stand in their way; tests of
// the hold use the service itself.
type approvingVetting struct {
	*vetting.Service
	db store.Backend
	mu sync.Mutex // one approval at a time
}

// Gate implements acme.Vetting.
func (v *approvingVetting) Gate(ctx context.Context, in vetting.GateInput) (*vetting.GateResult, error) {
	if err := v.vetAll(ctx, in); err != nil {
		return nil, err
	}
	return v.Service.Gate(ctx, in)
}

func (v *approvingVetting) vetAll(ctx context.Context, in vetting.GateInput) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, err := v.db.OrgIdentity(ctx, in.OrganizationID, in.Profile); errors.Is(err, vetting.ErrNotFound) {
		if _, err := vetCase(ctx, v.Service, vetting.CaseInput{Kind: vetting.CaseIdentity, OrganizationID: in.OrganizationID,
			Level: in.Profile, Reason: "test organization"}); err != nil {
			return err
		}
	}
	domain := vetting.RegisteredDomain(in.Name)
	if _, err := v.db.DomainApproval(ctx, in.OrganizationID, domain); errors.Is(err, vetting.ErrNotFound) {
		if _, err := vetCase(ctx, v.Service, vetting.CaseInput{Kind: vetting.CaseDomain, OrganizationID: in.OrganizationID,
			Subject: domain, Reason: "test domain"}); err != nil {
			return err
		}
	}
	return nil
}
