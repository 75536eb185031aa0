package vetting

import (
	"testing"
	"time"
)

func TestBuildUsage(t *testing.T) {
	day := func(d int, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	revoked := day(10, 12)
	a, b := []string{"a.example.jp"}, []string{"b.example.jp", "www.b.example.jp"}
	certs := []IssuedCertificate{
		{Serial: "01", Names: a, IssuedAt: day(1, 0).AddDate(0, -2, 0), NotAfter: day(1, 0).AddDate(0, 4, 0)}, // issued in September
		{Serial: "02", Names: b, IssuedAt: day(5, 9), NotAfter: day(5, 9).AddDate(0, 6, 0), RevokedAt: &revoked},
		{Serial: "03", Names: a, IssuedAt: day(20, 9), NotAfter: day(20, 9).AddDate(0, 6, 0)},                                       // renewal of a
		{Serial: "04", Names: []string{"c.example.jp"}, IssuedAt: day(1, 0).AddDate(0, 1, 0), NotAfter: day(1, 0).AddDate(0, 7, 0)}, // December
	}
	month := day(1, 0)

	r := BuildUsage(&Contract{Code: "1234567897", Plan: PlanMonthly, Slots: 2}, month, certs)
	if r.Month != "2026-11" || len(r.Issuances) != 2 || r.Issuances[0].Serial != "02" || r.Issuances[1].Serial != "03" {
		t.Fatalf("issuances: got %+v, want 02 and 03 (those of November)", r.Issuances)
	}
	if len(r.Days) != 30 {
		t.Fatalf("days: got %d, want 30", len(r.Days))
	}
	for _, want := range []UsageDay{{"2026-11-01", 1}, {"2026-11-04", 1}, {"2026-11-05", 2}, {"2026-11-10", 2}, {"2026-11-11", 1},
		{"2026-11-20", 1}, {"2026-11-30", 1}} {
		var got UsageDay
		for _, d := range r.Days {
			if d.Date == want.Date {
				got = d
			}
		}
		if got != want {
			t.Errorf("slots on %s: got %+v, want %d (a renewal of a held set is the same slot; a revocation frees it the day after)", want.Date, got, want.Slots)
		}
	}

	l := BuildUsage(&Contract{Code: "1234567897", Plan: PlanPerCertificate, Slots: 5}, month, certs)
	if l.LicensesUsed != 2 || l.LicensesNew != 1 || len(l.Days) != 0 {
		t.Errorf("licenses: got used %d, new %d, days %d; want 2 used (a, b), 1 new in November (b), no days", l.LicensesUsed, l.LicensesNew, len(l.Days))
	}
}
