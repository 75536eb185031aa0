package storetest

import (
	"testing"
	"time"

	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// testContacts checks SetContact and Contacts: a new contact closes the
// current one of its role, history keeps both, and a refused change writes
// nothing.
func testContacts(t *testing.T, b store.Backend) {
	o := contract(t, b, vetting.ContractActive).OrganizationID
	set := func(t *testing.T, role, name string, at time.Time) *vetting.Contact {
		t.Helper()
		c := &vetting.Contact{OrganizationID: o, Role: role, Name: name, Title: "Manager", Email: "a@example.jp",
			Phone: "0312345678", ValidFrom: at, ChangedBy: "cli"}
		wantErr(t, "SetContact", b.SetContact(ctx(t), c, event("contact.set")), nil)
		return c
	}
	first := set(t, vetting.RoleRegistration, "Yamada", t0)
	second := set(t, vetting.RoleRegistration, "Suzuki", t0.Add(time.Hour))
	tech := set(t, vetting.RoleTechnical, "Tanaka", t0.Add(2*time.Hour))

	current, err := b.Contacts(ctx(t), o, false)
	wantErr(t, "Contacts", err, nil)
	if len(current) != 2 || current[0].ID != second.ID || current[1].ID != tech.ID {
		t.Fatalf("current contacts: got %+v, want Suzuki (registration) and Tanaka (technical)", current)
	}
	equal(t, "current contact", *current[0], vetting.Contact{ID: second.ID, OrganizationID: o, Role: vetting.RoleRegistration,
		Name: "Suzuki", Title: "Manager", Email: "a@example.jp", Phone: "0312345678", ValidFrom: stored(t0.Add(time.Hour)), ChangedBy: "cli"})

	all, err := b.Contacts(ctx(t), o, true)
	wantErr(t, "Contacts(history)", err, nil)
	if len(all) != 3 || all[0].ID != first.ID || all[1].ID != second.ID {
		t.Fatalf("history: got %+v, want Yamada, Suzuki, Tanaka", all)
	}
	equalTimePtr(t, "closed contact's ValidTo", all[0].ValidTo, ptr(t0.Add(time.Hour)))
	if all[1].ValidTo != nil {
		t.Errorf("current contact's ValidTo: got %v, want nil", all[1].ValidTo)
	}

	before := auditEvents(t, b)
	bad := &vetting.Contact{OrganizationID: o + 1000, Role: vetting.RoleBilling, Name: "x", Email: "x@example.jp",
		Phone: "0312345678", ValidFrom: t0, ChangedBy: "cli"}
	wantErr(t, "SetContact(unknown organization)", b.SetContact(ctx(t), bad, event("contact.set")), vetting.ErrNotFound)
	bad.OrganizationID, bad.Role = o, "ceo"
	wantErr(t, "SetContact(unknown role)", b.SetContact(ctx(t), bad, event("contact.set")), vetting.ErrInvalid)
	bad.Role = vetting.RoleRegistration
	wantErr(t, "SetContact(no audit event)", b.SetContact(ctx(t), bad, nil), vetting.ErrInvalid)
	equal(t, "audit events after refused changes", len(auditEvents(t, b)), len(before))
	current, err = b.Contacts(ctx(t), o, false)
	wantErr(t, "Contacts", err, nil)
	if len(current) != 2 || current[0].ID != second.ID {
		t.Errorf("a refused change altered the current contacts: %+v", current)
	}
}

func ptr[T any](v T) *T { return &v }
