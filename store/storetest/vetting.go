package storetest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

func testVetting(t *testing.T, b store.Backend) {
	o := &vetting.Organization{Name: "Example Co., Ltd.", NameJa: "株式会社例", Country: "JP", Province: "Osaka", Locality: "Kita-ku",
		RegistrationNumber: "7000012050002", Phone: "0612345678", CreatedAt: t0}

	t.Run("organization", func(t *testing.T) {
		wantErr(t, "CreateOrganization", b.CreateOrganization(ctx(t), o, event("org.create")), nil)
		if o.ID == 0 {
			t.Fatalf("CreateOrganization: got ID 0, want it set")
		}
		got, err := b.GetOrganization(ctx(t), o.ID)
		wantErr(t, "GetOrganization", err, nil)
		equalTime(t, "CreatedAt", got.CreatedAt, t0)
		got.CreatedAt = o.CreatedAt
		equal(t, "organization", *got, *o)
		_, err = b.GetOrganization(ctx(t), o.ID+1000)
		wantErr(t, "GetOrganization(missing)", err, vetting.ErrNotFound)
	})

	c := &vetting.Contract{Code: "1234567890", OrganizationID: o.ID, Plan: vetting.PlanPerCertificate, Slots: 3,
		Profiles: []string{"ev", "ov"}, Status: vetting.ContractActive, CreatedAt: t0}
	t.Run("contract", func(t *testing.T) {
		wantErr(t, "CreateContract", b.CreateContract(ctx(t), c, event("contract.create")), nil)
		got, err := b.GetContract(ctx(t), c.Code)
		wantErr(t, "GetContract", err, nil)
		equalTime(t, "CreatedAt", got.CreatedAt, t0)
		got.CreatedAt = c.CreatedAt
		equal(t, "contract", *got, *c)

		tests := []struct {
			name string
			c    vetting.Contract
			want error
		}{
			{"duplicate code", vetting.Contract{Code: c.Code, OrganizationID: o.ID, Plan: vetting.PlanMonthly, Status: vetting.ContractActive}, vetting.ErrDuplicate},
			{"unknown organization", vetting.Contract{Code: "2234567890", OrganizationID: o.ID + 1000, Plan: vetting.PlanMonthly, Status: vetting.ContractActive}, vetting.ErrNotFound},
			{"bad status", vetting.Contract{Code: "3234567890", OrganizationID: o.ID, Plan: vetting.PlanMonthly, Status: "paused"}, vetting.ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantErr(t, "CreateContract", b.CreateContract(ctx(t), &tt.c, event("contract.create")), tt.want)
			})
		}
		_, err = b.GetContract(ctx(t), "2234567890")
		wantErr(t, "GetContract(missing)", err, vetting.ErrNotFound)
		d := &vetting.Contract{Code: "4234567890", OrganizationID: o.ID, Plan: vetting.PlanMonthly}
		wantErr(t, "CreateContract(no status)", b.CreateContract(ctx(t), d, event("contract.create")), nil)
		got, err = b.GetContract(ctx(t), d.Code)
		wantErr(t, "GetContract", err, nil)
		equal(t, "default status", got.Status, vetting.ContractActive)
		if got.Profiles != nil {
			t.Errorf("Profiles: got %v, want none", got.Profiles)
		}
	})

	t.Run("eab credential", func(t *testing.T) {
		e := &vetting.EABCredential{KeyID: "kid-vetting", ContractCode: c.Code, HMACKey: bytes.Repeat([]byte{0xa5}, 32), Status: vetting.CredentialActive, CreatedAt: t0}
		wantErr(t, "CreateEABCredential", b.CreateEABCredential(ctx(t), e, event("eab.create")), nil)
		got, err := b.GetEABCredential(ctx(t), e.KeyID)
		wantErr(t, "GetEABCredential", err, nil)
		equalTime(t, "CreatedAt", got.CreatedAt, t0)
		got.CreatedAt = e.CreatedAt
		equal(t, "credential", *got, *e)

		tests := []struct {
			name string
			e    vetting.EABCredential
			want error
		}{
			{"duplicate kid", vetting.EABCredential{KeyID: e.KeyID, ContractCode: c.Code, HMACKey: []byte("k")}, vetting.ErrDuplicate},
			{"unknown contract", vetting.EABCredential{KeyID: "kid-other", ContractCode: "9999999999", HMACKey: []byte("k")}, vetting.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantErr(t, "CreateEABCredential", b.CreateEABCredential(ctx(t), &tt.e, event("eab.create")), tt.want)
			})
		}
		_, err = b.GetEABCredential(ctx(t), "kid-other")
		wantErr(t, "GetEABCredential(missing)", err, vetting.ErrNotFound)

		at := t0.Add(time.Hour)
		wantErr(t, "RevokeEABCredential", b.RevokeEABCredential(ctx(t), e.KeyID, at, event("eab.revoke")), nil)
		got, err = b.GetEABCredential(ctx(t), e.KeyID)
		wantErr(t, "GetEABCredential", err, nil)
		equal(t, "Status", got.Status, vetting.CredentialRevoked)
		equalTimePtr(t, "RevokedAt", got.RevokedAt, &at)
		wantErr(t, "RevokeEABCredential again", b.RevokeEABCredential(ctx(t), e.KeyID, at, event("eab.revoke")), vetting.ErrInactive)
		wantErr(t, "RevokeEABCredential(missing)", b.RevokeEABCredential(ctx(t), "kid-other", at, event("eab.revoke")), vetting.ErrNotFound)
	})
}

func testAudit(t *testing.T, b store.Backend) {
	tests := []struct {
		name   string
		detail string // "" means nil
		want   string // stored detail; "" means an ErrInvalid
	}{
		{"object", `{"contract":"1234567890","plan":"monthly","slots":3}`, `{"contract":"1234567890","plan":"monthly","slots":3}`},
		{"nested", `{"names":["a.example","b.example"],"by":{"officer":"sato"}}`, `{"by":{"officer":"sato"},"names":["a.example","b.example"]}`},
		{"nil", "", `{}`},
		{"not json", `{"a":`, ""},
		{"not an object", `["a"]`, ""},
		{"null", `null`, ""},
	}
	var ids []int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &vetting.AuditEvent{At: t0, Kind: "contract.create", Actor: "cli", Subject: "1234567890"}
			if tt.detail != "" {
				e.Detail = []byte(tt.detail)
			}
			err := b.AppendAudit(ctx(t), e)
			if tt.want == "" {
				wantErr(t, "AppendAudit", err, vetting.ErrInvalid)
				return
			}
			wantErr(t, "AppendAudit", err, nil)
			if e.ID == 0 {
				t.Fatalf("AppendAudit: got ID 0, want it set")
			}
			ids = append(ids, e.ID)
			evs, err := b.AuditEvents(ctx(t), e.ID-1, 1)
			wantErr(t, "AuditEvents", err, nil)
			if len(evs) != 1 {
				t.Fatalf("AuditEvents: got %d events, want 1", len(evs))
			}
			got := evs[0]
			equal(t, "id", got.ID, e.ID)
			equal(t, "kind, actor, subject", []string{got.Kind, got.Actor, got.Subject}, []string{e.Kind, e.Actor, e.Subject})
			equalTime(t, "At", got.At, t0)
			var gotDetail, wantDetail any
			if err := json.Unmarshal(got.Detail, &gotDetail); err != nil {
				t.Fatalf("stored detail %s: %v", got.Detail, err)
			}
			json.Unmarshal([]byte(tt.want), &wantDetail)
			if !reflect.DeepEqual(gotDetail, wantDetail) {
				t.Errorf("Detail: got %s, want %s", got.Detail, tt.want)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		all, err := b.AuditEvents(ctx(t), 0, 100)
		wantErr(t, "AuditEvents", err, nil)
		var got []int64
		for _, e := range all {
			got = append(got, e.ID)
		}
		equal(t, "all ids", got, ids)
		page, err := b.AuditEvents(ctx(t), ids[0], 1)
		wantErr(t, "AuditEvents", err, nil)
		if len(page) != 1 || page[0].ID != ids[1] {
			t.Errorf("second page: got %v, want event %d", page, ids[1])
		}
		none, err := b.AuditEvents(ctx(t), ids[len(ids)-1], 10)
		wantErr(t, "AuditEvents", err, nil)
		equal(t, "events after the last", len(none), 0)
	})
}

// testTimes checks that times come back in UTC with microsecond precision,
// whatever their zone and precision going in.
func testTimes(t *testing.T, b store.Backend) {
	tests := []struct {
		name string
		at   time.Time
	}{
		{"nanoseconds in JST", t0},
		{"UTC whole second", time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"one microsecond", time.Date(2030, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{"999999999 ns", time.Date(2030, 1, 1, 0, 0, 0, 999_999_999, time.FixedZone("x", -7*3600))},
		{"far future", time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &vetting.Organization{Name: "T", Country: "JP", CreatedAt: tt.at}
			wantErr(t, "CreateOrganization", b.CreateOrganization(ctx(t), o, event("org.create")), nil)
			equalTime(t, "CreatedAt as set", o.CreatedAt, tt.at)
			got, err := b.GetOrganization(ctx(t), o.ID)
			wantErr(t, "GetOrganization", err, nil)
			equalTime(t, "CreatedAt as read", got.CreatedAt, tt.at)
		})
	}
}
