package vetting

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheckReissue(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	names := []string{"a.example.jp"}
	cert := func(serial, profile string, issuedDaysAgo int, revoked bool) IssuedCertificate {
		issued := now.AddDate(0, 0, -issuedDaysAgo)
		c := IssuedCertificate{Serial: serial, Profile: profile, Names: names, IssuedAt: issued, NotBefore: issued,
			NotAfter: issued.Add(200 * 24 * time.Hour)}
		if revoked {
			c.RevokedAt = &now
		}
		return c
	}
	tests := []struct {
		name         string
		profile      string
		certs        []IssuedCertificate
		wantReplaced []string
		wantErr      string
	}{
		{"first certificate", ProfileOV, nil, nil, ""},
		{"OV reissue replaces the current one", ProfileOV, []IssuedCertificate{cert("01", ProfileOV, 40, false)}, []string{"01"}, ""},
		{"OV renewal in the last 90 days replaces nothing", ProfileOV, []IssuedCertificate{cert("01", ProfileOV, 150, false)}, nil, ""},
		{"expired certificates are not replaced", ProfileOV, []IssuedCertificate{cert("01", ProfileOV, 250, false)}, nil, ""},
		{"other names are not replaced", ProfileOV, []IssuedCertificate{{Serial: "02", Profile: ProfileOV, Names: []string{"b.example.jp"},
			IssuedAt: now, NotAfter: now.Add(200 * 24 * time.Hour)}}, nil, ""},
		{"EV reissue within 25 days", ProfileEV, []IssuedCertificate{cert("01", ProfileEV, 10, false)}, []string{"01"}, ""},
		{"EV reissue after 25 days", ProfileEV, []IssuedCertificate{cert("01", ProfileEV, 30, false)}, nil, "only within 25 days of its issuance"},
		{"second EV reissue", ProfileEV, []IssuedCertificate{cert("01", ProfileEV, 10, true), cert("02", ProfileEV, 5, false)},
			nil, "already reissued once"},
		{"EV renewal", ProfileEV, []IssuedCertificate{cert("01", ProfileEV, 120, false)}, nil, ""},
		{"an OV certificate is not an EV one's reissue", ProfileEV, []IssuedCertificate{cert("01", ProfileOV, 30, false)}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckReissue(tt.profile, names, tt.certs, now)
			if tt.wantErr != "" {
				var re *ReissueError
				if !errors.As(err, &re) || !errors.Is(err, ErrInactive) || !strings.Contains(re.ClientDetail(), tt.wantErr) {
					t.Fatalf("got %v, %v; want a *ReissueError containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.wantReplaced) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.wantReplaced)
			}
		})
	}
}

func TestHeldNameSets(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a, b, c := []string{"a.example.jp"}, []string{"b.example.jp"}, []string{"c.example.jp"}
	certs := []IssuedCertificate{
		{Names: a, NotAfter: now.AddDate(0, 1, 0)},
		{Names: a, NotAfter: now.AddDate(0, 2, 0)},                  // a renewal: the same set
		{Names: b, NotAfter: now.AddDate(0, 1, 0), RevokedAt: &now}, // revoked
		{Names: c, NotAfter: now.AddDate(0, -1, 0)},                 // expired
	}
	if got := HeldNameSets(&Contract{Plan: PlanMonthly}, certs, now); !slices.EqualFunc(got, [][]string{a}, slices.Equal) {
		t.Errorf("monthly: got %v, want only the set in use", got)
	}
	if got := HeldNameSets(&Contract{Plan: PlanPerCertificate}, certs, now); !slices.EqualFunc(got, [][]string{a, b, c}, slices.Equal) {
		t.Errorf("licenses: got %v, want every set ever issued", got)
	}
}

func TestReplacement(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a, b := []string{"a.example.jp"}, []string{"b.example.jp"}
	old := IssuedCertificate{Serial: "01", Names: a, IssuedAt: now.AddDate(0, 0, -30), NotAfter: now.AddDate(0, 5, 0)}
	license, monthly := &Contract{Plan: PlanPerCertificate, Slots: 1}, &Contract{Plan: PlanMonthly, Slots: 1}
	if err := CheckReplacement(license, &old, b, now); err == nil || !strings.Contains(err.Error(), "only within 25 days") {
		t.Errorf("license name change after 30 days: got %v", err)
	}
	if err := CheckReplacement(license, &old, a, now); err != nil {
		t.Errorf("license, same names: got %v", err)
	}
	if err := CheckReplacement(monthly, &old, b, now); err != nil {
		t.Errorf("monthly name change: got %v", err)
	}
	certs := []IssuedCertificate{old}
	if got := WithoutReplaced(monthly, HeldNameSets(monthly, certs, now), certs, &old, now); len(got) != 0 {
		t.Errorf("the replaced set still held: %v", got)
	}
	renewed := IssuedCertificate{Serial: "02", Names: a, IssuedAt: now, NotAfter: now.AddDate(0, 6, 0)}
	certs = append(certs, renewed)
	if got := WithoutReplaced(monthly, HeldNameSets(monthly, certs, now), certs, &old, now); len(got) != 1 {
		t.Errorf("a set another certificate holds was freed: %v", got)
	}
}
