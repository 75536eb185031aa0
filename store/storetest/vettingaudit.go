package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// testContractStatus checks SetContractStatus: a compare-and-set of the
// status, with its audit event in the same transaction.
func testContractStatus(t *testing.T, b store.Backend) {
	c := contract(t, b, vetting.ContractActive)
	status := func(t *testing.T) string {
		t.Helper()
		got, err := b.GetContract(ctx(t), c.Code)
		wantErr(t, "GetContract", err, nil)
		return got.Status
	}
	statusEvent := func(from, to string) *vetting.AuditEvent {
		e := event("contract.status")
		e.Detail = []byte(`{"from":"` + from + `","to":"` + to + `"}`)
		return e
	}
	tests := []struct {
		name       string
		code       string
		from, to   string
		audit      *vetting.AuditEvent
		want       error
		wantStatus string
	}{
		{"suspend", c.Code, vetting.ContractActive, vetting.ContractSuspended, statusEvent("active", "suspended"), nil, vetting.ContractSuspended},
		{"stale from", c.Code, vetting.ContractActive, vetting.ContractEnded, statusEvent("active", "ended"), vetting.ErrConflict, vetting.ContractSuspended},
		{"unknown status", c.Code, vetting.ContractSuspended, "paused", statusEvent("suspended", "paused"), vetting.ErrInvalid, vetting.ContractSuspended},
		{"unknown contract", "9999999999", vetting.ContractActive, vetting.ContractSuspended, statusEvent("active", "suspended"), vetting.ErrNotFound, vetting.ContractSuspended},
		{"no audit event", c.Code, vetting.ContractSuspended, vetting.ContractActive, nil, vetting.ErrInvalid, vetting.ContractSuspended},
		{"audit detail not an object", c.Code, vetting.ContractSuspended, vetting.ContractActive,
			&vetting.AuditEvent{Kind: "contract.status", Actor: "cli", Detail: []byte(`"active"`)}, vetting.ErrInvalid, vetting.ContractSuspended},
		{"resume", c.Code, vetting.ContractSuspended, vetting.ContractActive, statusEvent("suspended", "active"), nil, vetting.ContractActive},
		{"end", c.Code, vetting.ContractActive, vetting.ContractEnded, statusEvent("active", "ended"), nil, vetting.ContractEnded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditEvents(t, b)
			err := b.SetContractStatus(ctx(t), tt.code, tt.from, tt.to, tt.audit)
			wantErr(t, "SetContractStatus", err, tt.want)
			equal(t, "status", status(t), tt.wantStatus)
			after := auditEvents(t, b)
			if tt.want != nil {
				equal(t, "audit events after a refused change", len(after), len(before))
				return
			}
			if len(after) != len(before)+1 {
				t.Fatalf("audit events: got %d new, want 1", len(after)-len(before))
			}
			got := after[len(after)-1]
			equal(t, "event id", got.ID, tt.audit.ID)
			equal(t, "kind, actor, subject", []string{got.Kind, got.Actor, got.Subject}, []string{"contract.status", "cli", c.Code})
			equalTime(t, "event At", got.At, t0)
			var d map[string]string
			if err := json.Unmarshal(got.Detail, &d); err != nil {
				t.Fatalf("detail %s: %v", got.Detail, err)
			}
			equal(t, "detail", d, map[string]string{"from": tt.from, "to": tt.to})
		})
	}
}

// testVettingAudit checks that each vetting change and its audit event are
// stored together or not at all, and that the event's subject is the
// record's key.
func testVettingAudit(t *testing.T, b store.Backend) {
	c := contract(t, b, vetting.ContractActive)
	bad := []struct {
		name  string
		audit func() *vetting.AuditEvent
	}{
		{"no event", func() *vetting.AuditEvent { return nil }},
		{"no kind", func() *vetting.AuditEvent { return &vetting.AuditEvent{Actor: "cli"} }},
		{"no actor", func() *vetting.AuditEvent { return &vetting.AuditEvent{Kind: "x.create"} }},
		{"detail not JSON", func() *vetting.AuditEvent {
			return &vetting.AuditEvent{Kind: "x.create", Actor: "cli", Detail: []byte(`{"a":`)}
		}},
	}
	for _, bb := range bad {
		t.Run(bb.name, func(t *testing.T) {
			before := len(auditEvents(t, b))

			o := &vetting.Organization{Name: "No Audit K.K.", Country: "JP", CreatedAt: t0}
			wantErr(t, "CreateOrganization", b.CreateOrganization(ctx(t), o, bb.audit()), vetting.ErrInvalid)
			equal(t, "organization ID", o.ID, int64(0))

			nc := &vetting.Contract{Code: unique("34"), OrganizationID: c.OrganizationID, Plan: vetting.PlanMonthly, Status: vetting.ContractActive}
			wantErr(t, "CreateContract", b.CreateContract(ctx(t), nc, bb.audit()), vetting.ErrInvalid)
			_, err := b.GetContract(ctx(t), nc.Code)
			wantErr(t, "GetContract(refused)", err, vetting.ErrNotFound)

			e := &vetting.EABCredential{KeyID: unique("kid-noaudit-"), ContractCode: c.Code, HMACKey: []byte("k")}
			wantErr(t, "CreateEABCredential", b.CreateEABCredential(ctx(t), e, bb.audit()), vetting.ErrInvalid)
			_, err = b.GetEABCredential(ctx(t), e.KeyID)
			wantErr(t, "GetEABCredential(refused)", err, vetting.ErrNotFound)

			active := credential(t, b, c.Code)
			before++ // credential's own event
			wantErr(t, "RevokeEABCredential", b.RevokeEABCredential(ctx(t), active.KeyID, t0, bb.audit()), vetting.ErrInvalid)
			got, err := b.GetEABCredential(ctx(t), active.KeyID)
			wantErr(t, "GetEABCredential", err, nil)
			equal(t, "credential status after a refused revocation", got.Status, vetting.CredentialActive)

			equal(t, "audit events", len(auditEvents(t, b)), before)
		})
	}

	t.Run("subjects", func(t *testing.T) {
		o := &vetting.Organization{Name: "Audited K.K.", Country: "JP", CreatedAt: t0}
		orgEvent := event("org.create")
		orgEvent.Subject = "ignored: the store sets it"
		wantErr(t, "CreateOrganization", b.CreateOrganization(ctx(t), o, orgEvent), nil)
		nc := &vetting.Contract{Code: unique("45"), OrganizationID: o.ID, Plan: vetting.PlanMonthly, Status: vetting.ContractActive}
		contractEvent := event("contract.create")
		wantErr(t, "CreateContract", b.CreateContract(ctx(t), nc, contractEvent), nil)
		e := &vetting.EABCredential{KeyID: unique("kid-audited-"), ContractCode: nc.Code, HMACKey: []byte("k")}
		eabEvent := event("eab.create")
		wantErr(t, "CreateEABCredential", b.CreateEABCredential(ctx(t), e, eabEvent), nil)
		revokeEvent := event("eab.revoke")
		revokeEvent.At = time.Time{} // stamped by the store
		wantErr(t, "RevokeEABCredential", b.RevokeEABCredential(ctx(t), e.KeyID, t0, revokeEvent), nil)

		want := map[int64][2]string{
			orgEvent.ID:      {"org.create", itoa(o.ID)},
			contractEvent.ID: {"contract.create", nc.Code},
			eabEvent.ID:      {"eab.create", e.KeyID},
			revokeEvent.ID:   {"eab.revoke", e.KeyID},
		}
		if len(want) != 4 || orgEvent.ID == 0 {
			t.Fatalf("event ids: got %v, want 4 distinct ids", want)
		}
		equal(t, "org event Subject as set", orgEvent.Subject, itoa(o.ID))
		if revokeEvent.At.IsZero() {
			t.Errorf("revocation event At: got zero, want it stamped")
		}
		seen := 0
		for _, got := range auditEvents(t, b) {
			w, ok := want[got.ID]
			if !ok {
				continue
			}
			seen++
			equal(t, "kind and subject", [2]string{got.Kind, got.Subject}, w)
		}
		equal(t, "events found", seen, 4)
	})
}
