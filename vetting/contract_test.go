package vetting

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCreateContractValid(t *testing.T) {
	tests := []struct {
		name string
		in   ContractInput
		want Contract // Code, OrganizationID and CreatedAt not compared
	}{
		{"defaults", ContractInput{}, Contract{Plan: PlanPerCertificate, Slots: 1, Profiles: []string{"ov"}, Status: ContractActive}},
		{"monthly with slots", ContractInput{Plan: PlanMonthly, Slots: 25}, Contract{Plan: PlanMonthly, Slots: 25, Profiles: []string{"ov"}, Status: ContractActive}},
		{"ev first keeps order", ContractInput{Profiles: []string{"ev", "ov"}}, Contract{Plan: PlanPerCertificate, Slots: 1, Profiles: []string{"ev", "ov"}, Status: ContractActive}},
		{"ev only", ContractInput{Plan: PlanPerCertificate, Profiles: []string{"ev"}}, Contract{Plan: PlanPerCertificate, Slots: 1, Profiles: []string{"ev"}, Status: ContractActive}},
		{"max slots", ContractInput{Slots: MaxSlots}, Contract{Plan: PlanPerCertificate, Slots: MaxSlots, Profiles: []string{"ov"}, Status: ContractActive}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t, 1)
			o, got := mustOrgContract(t, s, tt.in)
			if got.Plan != tt.want.Plan || got.Slots != tt.want.Slots || !slices.Equal(got.Profiles, tt.want.Profiles) || got.Status != tt.want.Status {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
			if got.OrganizationID != o.ID {
				t.Errorf("got organization %d, want %d", got.OrganizationID, o.ID)
			}
			if want := testStored; !got.CreatedAt.Equal(want) {
				t.Errorf("got created %v, want %v", got.CreatedAt, want)
			}
			if err := ValidateContractCode(got.Code); err != nil {
				t.Errorf("code %s: got %v, want a valid code", got.Code, err)
			}
			stored, err := s.Contract(context.Background(), got.Code)
			if err != nil {
				t.Fatalf("Contract(%s): %v", got.Code, err)
			}
			if stored.Code != got.Code || !slices.Equal(stored.Profiles, got.Profiles) {
				t.Errorf("got stored %+v, want %+v", *stored, *got)
			}
		})
	}
}

func TestCreateContractInvalid(t *testing.T) {
	tests := []struct {
		name  string
		in    ContractInput
		field string
		want  []string
	}{
		{"no organization", ContractInput{OrganizationID: 0}, "organization_id", []string{"is required"}},
		{"negative organization", ContractInput{OrganizationID: -3}, "organization_id", []string{"got -3"}},
		{"unknown plan", ContractInput{OrganizationID: 1, Plan: "yearly"}, "plan", []string{`"per-certificate" or "monthly"`, `"yearly"`}},
		{"plan case", ContractInput{OrganizationID: 1, Plan: "Monthly"}, "plan", []string{`"Monthly"`}},
		{"negative slots", ContractInput{OrganizationID: 1, Slots: -1}, "slots", []string{"between 1 and 10000"}},
		{"too many slots", ContractInput{OrganizationID: 1, Slots: MaxSlots + 1}, "slots", []string{"between 1 and 10000"}},
		{"unknown profile", ContractInput{OrganizationID: 1, Profiles: []string{"dv"}}, "profiles", []string{`unknown profile "dv"`}},
		{"profile case", ContractInput{OrganizationID: 1, Profiles: []string{"OV"}}, "profiles", []string{`unknown profile "OV"`}},
		{"empty profile", ContractInput{OrganizationID: 1, Profiles: []string{""}}, "profiles", []string{`unknown profile ""`}},
		{"duplicate profile", ContractInput{OrganizationID: 1, Profiles: []string{"ov", "ov"}}, "profiles", []string{`"ov" is listed twice`}},
		{"too many profiles", ContractInput{OrganizationID: 1, Profiles: []string{"ov", "ev", "ov"}}, "profiles", []string{"at most"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m := newTestService(t, 1)
			if _, err := s.CreateOrganization(context.Background(), goodOrg(), "cli"); err != nil {
				t.Fatal(err)
			}
			c, err := s.CreateContract(context.Background(), tt.in, "cli")
			if c != nil {
				t.Errorf("got contract %+v, want nil", c)
			}
			checkInvalid(t, err, tt.field, tt.want...)
			if n := len(m.contracts); n != 0 {
				t.Errorf("got %d stored contracts, want 0", n)
			}
		})
	}
}

func TestCreateContractUnknownOrganization(t *testing.T) {
	s, m := newTestService(t, 1)
	_, err := s.CreateContract(context.Background(), ContractInput{OrganizationID: 42}, "cli")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want an error wrapping ErrNotFound", err)
	}
	for _, w := range []string{"organization_id", "organization 42 does not exist"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got %q, want it to contain %q", err, w)
		}
	}
	if len(m.contracts) != 0 || len(m.events()) != 0 {
		t.Errorf("got %d contracts and %d events, want none", len(m.contracts), len(m.events()))
	}
}

func TestCreateContractRetriesTakenCode(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	// Two services with the same random stream draw the same first code.
	s1 := New(Options{Store: m, Rand: seeded(3)})
	s2 := New(Options{Store: m, Rand: seeded(3)})
	o, err := s1.CreateOrganization(ctx, goodOrg(), "cli")
	if err != nil {
		t.Fatal(err)
	}
	c1, err := s1.CreateContract(ctx, ContractInput{OrganizationID: o.ID}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s2.CreateContract(ctx, ContractInput{OrganizationID: o.ID}, "cli")
	if err != nil {
		t.Fatalf("got %v, want a retry with a fresh code", err)
	}
	if c1.Code == c2.Code {
		t.Errorf("got the same code %s twice, want a fresh one", c1.Code)
	}
	if err := ValidateContractCode(c2.Code); err != nil {
		t.Errorf("got %v, want a valid code", err)
	}
}

func TestCreateContractGivesUpOnBrokenRandom(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	s := New(Options{Store: m, Rand: zeroReader{}})
	o, err := s.CreateOrganization(ctx, goodOrg(), "cli")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContract(ctx, ContractInput{OrganizationID: o.ID}, "cli"); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateContract(ctx, ContractInput{OrganizationID: o.ID}, "cli")
	if err == nil || !strings.Contains(err.Error(), "attempts") {
		t.Errorf("got %v, want an error after bounded attempts", err)
	}
}

// zeroReader is a broken random source that returns only zero bytes.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestCreateContractAudit(t *testing.T) {
	s, m := newTestService(t, 1)
	_, c := mustOrgContract(t, s, ContractInput{Plan: PlanMonthly, Slots: 3, Profiles: []string{"ov", "ev"}})
	ev := m.events()
	if len(ev) != 2 {
		t.Fatalf("got %d events, want 2", len(ev))
	}
	e := ev[1]
	if e.Kind != "contract.create" || e.Subject != c.Code || e.Actor != "cli" {
		t.Errorf("got %+v, want contract.create about %s by cli", e, c.Code)
	}
	var d struct {
		OrganizationID int64    `json:"organization_id"`
		Plan           string   `json:"plan"`
		Slots          int      `json:"slots"`
		Profiles       []string `json:"profiles"`
	}
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.OrganizationID != c.OrganizationID || d.Plan != PlanMonthly || d.Slots != 3 || !slices.Equal(d.Profiles, []string{"ov", "ev"}) {
		t.Errorf("got detail %+v, want the contract's terms", d)
	}
}

func TestContractLookup(t *testing.T) {
	s, _ := newTestService(t, 1)
	_, c := mustOrgContract(t, s, ContractInput{})
	wrongCheck := c.Code[:9] + string('0'+(c.Code[9]-'0'+1)%10)
	tests := []struct {
		name    string
		code    string
		wantErr error
		wantMsg string
	}{
		{"existing", c.Code, nil, ""},
		{"unknown valid code", "1000000008", ErrNotFound, "contract 1000000008 not found"},
		{"typo", wrongCheck, ErrInvalid, "check digit does not match"},
		{"short", "12345", ErrInvalid, "must be 10 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Contract(context.Background(), tt.code)
			if tt.wantErr == nil {
				if err != nil || got.Code != c.Code {
					t.Fatalf("got %v, %v, want contract %s", got, err, c.Code)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want %v with %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}
