package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// testCases checks officers, vetting cases and the grants of approvals:
// one open case per question (concurrent openers join it), evidence and
// decisions only on open cases, one approval per officer, and a final
// approval recording its grant in the same transaction.
func testCases(t *testing.T, b store.Backend) {
	org := contract(t, b, vetting.ContractActive).OrganizationID

	o := &vetting.Officer{Name: "tanaka", Role: vetting.RoleApprover, Status: vetting.OfficerActive, CreatedAt: t0}
	wantErr(t, "CreateOfficer", b.CreateOfficer(ctx(t), o, event("officer.add")), nil)
	wantErr(t, "CreateOfficer(duplicate)", b.CreateOfficer(ctx(t), &vetting.Officer{Name: "tanaka", Role: vetting.RoleAdmin,
		Status: vetting.OfficerActive}, event("officer.add")), vetting.ErrDuplicate)
	wantErr(t, "CreateOfficer(bad role)", b.CreateOfficer(ctx(t), &vetting.Officer{Name: "sato", Role: "boss",
		Status: vetting.OfficerActive}, event("officer.add")), vetting.ErrInvalid)
	got, err := b.GetOfficer(ctx(t), "tanaka")
	wantErr(t, "GetOfficer", err, nil)
	equal(t, "officer", *got, vetting.Officer{ID: o.ID, Name: "tanaka", Role: vetting.RoleApprover, Status: vetting.OfficerActive, CreatedAt: stored(t0)})
	_, err = b.GetOfficer(ctx(t), "nobody")
	wantErr(t, "GetOfficer(missing)", err, vetting.ErrNotFound)
	wantErr(t, "SetOfficerStatus", b.SetOfficerStatus(ctx(t), "tanaka", vetting.OfficerDisabled, event("officer.disable")), nil)
	if got, _ := b.GetOfficer(ctx(t), "tanaka"); got.Status != vetting.OfficerDisabled {
		t.Errorf("officer after SetOfficerStatus: got %+v, want disabled", got)
	}
	wantErr(t, "SetOfficerStatus(bad)", b.SetOfficerStatus(ctx(t), "tanaka", "retired", event("officer.disable")), vetting.ErrInvalid)
	wantErr(t, "SetOfficerStatus(missing)", b.SetOfficerStatus(ctx(t), "nobody", vetting.OfficerDisabled, event("officer.disable")), vetting.ErrNotFound)
	wantErr(t, "SetOfficerStatus(enable)", b.SetOfficerStatus(ctx(t), "tanaka", vetting.OfficerActive, event("officer.enable")), nil)

	question := func() *vetting.Case {
		return &vetting.Case{Kind: vetting.CaseDomain, OrganizationID: org, Level: vetting.ProfileOV, Subject: "example.jp",
			Reason: "requested www.example.jp", OpenedAt: t0, OpenedBy: "acme"}
	}
	var wg sync.WaitGroup
	ids := make([]int64, 6)
	opened := make([]bool, 6)
	for i := range ids {
		wg.Go(func() {
			c, o, err := b.OpenCase(ctx(t), question(), event("case.open"))
			if err != nil {
				t.Errorf("OpenCase: %v", err)
				return
			}
			ids[i], opened[i] = c.ID, o
		})
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("concurrent OpenCase: got cases %v, want one", ids)
		}
		if opened[i] {
			n++
		}
	}
	equal(t, "callers that opened the case", n, 1)
	id := ids[0]

	e := &vetting.Evidence{Item: vetting.ItemDomainOwner, Note: "registrar", RecordedBy: "sato", RecordedAt: t0}
	wantErr(t, "AddEvidence", b.AddEvidence(ctx(t), id, e, event("case.evidence")), nil)
	wantErr(t, "AddEvidence(missing case)", b.AddEvidence(ctx(t), id+1000, e, event("case.evidence")), vetting.ErrNotFound)

	at := t0.Add(time.Hour)
	grant := vetting.Grant{Kind: vetting.CaseDomain, OrganizationID: org, Domain: "example.jp", OwnerConsent: "own domain",
		At: at, Expires: at.Add(vetting.DomainApprovalValidity)}
	wantErr(t, "ApproveCase(first, not final)", b.ApproveCase(ctx(t), id, vetting.Approval{Officer: "tanaka", ApprovedAt: at}, false, "", grant, event("case.approve")), nil)
	_, err = b.DomainApproval(ctx(t), org, "example.jp")
	wantErr(t, "DomainApproval before the final approval", err, vetting.ErrNotFound)
	wantErr(t, "ApproveCase(same officer)", b.ApproveCase(ctx(t), id, vetting.Approval{Officer: "tanaka", ApprovedAt: at}, true, "", grant, event("case.approve")), vetting.ErrDuplicate)
	wantErr(t, "ApproveCase(final)", b.ApproveCase(ctx(t), id, vetting.Approval{Officer: "ito", ApprovedAt: at}, true, "ok", grant, event("case.approve")), nil)

	c, err := b.GetCase(ctx(t), id)
	wantErr(t, "GetCase", err, nil)
	equal(t, "decided case", []any{c.Status, c.DecidedBy, c.DecisionNote, len(c.Evidence), len(c.Approvals)},
		[]any{vetting.CaseApproved, "ito", "ok", 1, 2})
	equalTimePtr(t, "DecidedAt", c.DecidedAt, &at)
	da, err := b.DomainApproval(ctx(t), org, "example.jp")
	wantErr(t, "DomainApproval", err, nil)
	equal(t, "approval", []any{da.CaseID, da.OwnerConsent}, []any{id, "own domain"})
	equalTime(t, "approval expires", da.ExpiresAt, at.Add(vetting.DomainApprovalValidity))

	before := len(auditEvents(t, b))
	wantErr(t, "AddEvidence(decided)", b.AddEvidence(ctx(t), id, e, event("case.evidence")), vetting.ErrConflict)
	wantErr(t, "RejectCase(decided)", b.RejectCase(ctx(t), id, "ito", at, "no", event("case.reject")), vetting.ErrConflict)
	wantErr(t, "ApproveCase(decided)", b.ApproveCase(ctx(t), id, vetting.Approval{Officer: "kato", ApprovedAt: at}, true, "", grant, event("case.approve")), vetting.ErrConflict)
	equal(t, "audit events after refused changes", len(auditEvents(t, b)), before)

	// A new question after the decision opens a new case; the identity
	// grant replaces an older one.
	idc := &vetting.Case{Kind: vetting.CaseIdentity, OrganizationID: org, Level: vetting.ProfileEV, Reason: "r", OpenedBy: "acme"}
	for round := range 2 {
		c, opened, err := b.OpenCase(ctx(t), idc, event("case.open"))
		wantErr(t, "OpenCase(identity)", err, nil)
		if !opened {
			t.Fatalf("round %d: OpenCase after the previous case was decided joined case %d", round, c.ID)
		}
		g := vetting.Grant{Kind: vetting.CaseIdentity, OrganizationID: org, Level: vetting.ProfileEV, At: at, Expires: at.Add(time.Duration(round+1) * time.Hour)}
		wantErr(t, "ApproveCase(identity)", b.ApproveCase(ctx(t), c.ID, vetting.Approval{Officer: "tanaka", ApprovedAt: at}, true, "", g, event("case.approve")), nil)
		ident, err := b.OrgIdentity(ctx(t), org, vetting.ProfileEV)
		wantErr(t, "OrgIdentity", err, nil)
		equal(t, "identity case", ident.CaseID, c.ID)
		equalTime(t, "identity expires", ident.ExpiresAt, g.Expires)
		idc = &vetting.Case{Kind: vetting.CaseIdentity, OrganizationID: org, Level: vetting.ProfileEV, Reason: "again", OpenedBy: "acme"}
	}
	_, err = b.OrgIdentity(ctx(t), org, vetting.ProfileOV)
	wantErr(t, "OrgIdentity(OV, never vetted)", err, vetting.ErrNotFound)

	rc, _, err := b.OpenCase(ctx(t), &vetting.Case{Kind: vetting.CaseHighRisk, OrganizationID: org, Level: vetting.ProfileOV,
		Subject: "login.example.jp", Reason: "list", OpenedBy: "acme"}, event("case.open"))
	wantErr(t, "OpenCase(high-risk)", err, nil)
	wantErr(t, "RejectCase", b.RejectCase(ctx(t), rc.ID, "tanaka", at, "lookalike", event("case.reject")), nil)
	latest, err := b.LatestCase(ctx(t), vetting.CaseHighRisk, org, vetting.ProfileOV, "login.example.jp")
	wantErr(t, "LatestCase", err, nil)
	equal(t, "latest case", []any{latest.ID, latest.Status, latest.DecisionNote}, []any{rc.ID, vetting.CaseRejected, "lookalike"})
	_, err = b.LatestCase(ctx(t), vetting.CaseHighRisk, org, vetting.ProfileOV, "other.example.jp")
	wantErr(t, "LatestCase(none)", err, vetting.ErrNotFound)

	rejected, err := b.ListCases(ctx(t), vetting.CaseRejected, 10)
	wantErr(t, "ListCases(rejected)", err, nil)
	if len(rejected) != 1 || rejected[0].ID != rc.ID {
		t.Errorf("ListCases(rejected): got %+v, want case %d", rejected, rc.ID)
	}
	all, err := b.ListCases(ctx(t), "", 2)
	wantErr(t, "ListCases(any)", err, nil)
	if len(all) != 2 || all[0].ID != rc.ID {
		t.Errorf("ListCases(any, 2): got %d cases starting %+v, want 2, newest first", len(all), all)
	}
}
