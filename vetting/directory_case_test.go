package vetting_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// TestPhoneVerificationUsesDirectory: with a business directory, the
// phone-verification evidence names the number the directory lists; an
// organization the directory does not list cannot be phone-verified and is
// approved on its documents instead.
func TestPhoneVerificationUsesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "directory.json")
	if err := os.WriteFile(path, []byte(`[{"country": "JP", "registration_number": "7000012050002", "name": "Example Trading KK",
		"phone": "03-3581-4161"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := vetting.OpenFileDirectory(path)
	if err != nil {
		t.Fatal(err)
	}
	e := newCaseEnv(t)
	e.s = vetting.New(vetting.Options{Store: e.db, Cases: e.db, Directory: dir, Clock: func() time.Time { return e.now }})

	listed, _, err := e.s.OpenCase(t.Context(), vetting.CaseInput{Kind: vetting.CaseIdentity, OrganizationID: e.org.ID,
		Level: vetting.ProfileOV, Reason: "r"}, "sato")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := e.s.RecordEvidence(t.Context(), listed.ID, "sato", vetting.ItemPhoneVerification, "spoke to the registration contact")
	if err != nil || !strings.HasPrefix(ev.Note, "called 0335814161, listed by file:") {
		t.Fatalf("phone verification of a listed organization: got %+v, %v; want the directory's number in the note", ev, err)
	}

	other, err := e.s.CreateOrganization(t.Context(), vetting.OrganizationInput{Name: "Unlisted KK", Country: "JP",
		Province: "Tokyo", Locality: "Minato-ku"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.s.OpenCase(t.Context(), vetting.CaseInput{Kind: vetting.CaseIdentity, OrganizationID: other.ID,
		Level: vetting.ProfileOV, Reason: "r"}, "sato")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.RecordEvidence(t.Context(), c.ID, "sato", vetting.ItemPhoneVerification, "called")
	if !errors.Is(err, vetting.ErrNotListed) || !strings.Contains(err.Error(), "seal certificate") {
		t.Fatalf("phone verification of an unlisted organization: got %v, want ErrNotListed asking for documents", err)
	}
	e.evidence(c.ID, "sato", vetting.ItemLegalExistence, vetting.ItemRegistrationNumber, vetting.ItemDocuments)
	if got := e.approve(c.ID, "tanaka"); got.Status != vetting.CaseApproved {
		t.Errorf("unlisted organization with documents: got %s, want approved", got.Status)
	}
}
