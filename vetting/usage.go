package vetting

import (
	"slices"
	"strings"
	"time"
)

// IssuedCertificate is one certificate of a contract, as invoicing sees
// it.
type IssuedCertificate struct {
	Serial    string     `json:"serial"`
	Profile   string     `json:"profile"`
	Names     []string   `json:"names"` // sorted
	IssuedAt  time.Time  `json:"issued_at"`
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// UsageReport is what an invoice for one contract and month is made from
// (REQUIREMENTS.md "Plans and billing").
type UsageReport struct {
	Contract string `json:"contract"`
	Plan     string `json:"plan"`
	Limit    int    `json:"limit"`
	Month    string `json:"month"` // "2026-11"
	// Issuances are the certificates issued in the month, oldest first.
	Issuances []IssuedCertificate `json:"issuances"`
	// Days is, for a monthly plan, each day of the month with the name
	// sets (slots) that had a certificate in use at some time that day.
	Days []UsageDay `json:"days"`
	// LicensesUsed is, for a license plan, how many name sets the contract
	// had been issued by the end of the month, and LicensesNew how many of
	// them for the first time in the month.
	LicensesUsed int `json:"licenses_used"`
	LicensesNew  int `json:"licenses_new"`
}

// UsageDay is one day of a monthly plan's usage.
type UsageDay struct {
	Date  string `json:"date"` // "2026-11-05"
	Slots int    `json:"slots"`
}

// BuildUsage computes the usage of contract c in month (the first instant
// of the month, UTC) from every certificate the contract was ever issued.
func BuildUsage(c *Contract, month time.Time, certs []IssuedCertificate) *UsageReport {
	start := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	r := &UsageReport{Contract: c.Code, Plan: c.Plan, Limit: max(c.Slots, 1), Month: start.Format("2006-01")}
	if c.Plan != PlanMonthly {
		r.Limit += c.Coupons
	}
	setsBefore, setsByEnd := map[string]bool{}, map[string]bool{}
	for _, ct := range certs {
		key := strings.Join(ct.Names, "\n")
		// Licenses count within the contract's current term.
		if !ct.IssuedAt.Before(c.TermStart) && ct.IssuedAt.Before(start) {
			setsBefore[key] = true
		}
		if !ct.IssuedAt.Before(c.TermStart) && ct.IssuedAt.Before(end) {
			setsByEnd[key] = true
		}
		if !ct.IssuedAt.Before(start) && ct.IssuedAt.Before(end) {
			r.Issuances = append(r.Issuances, ct)
		}
	}
	slices.SortFunc(r.Issuances, func(a, b IssuedCertificate) int { return a.IssuedAt.Compare(b.IssuedAt) })
	if c.Plan != PlanMonthly {
		r.LicensesUsed = len(setsByEnd)
		r.LicensesNew = len(setsByEnd) - len(setsBefore)
		return r
	}
	for day := start; day.Before(end); day = day.AddDate(0, 0, 1) {
		next := day.AddDate(0, 0, 1)
		inUse := map[string]bool{}
		for _, ct := range certs {
			// In use at some instant of [day, next): issued before the day
			// ends, not expired and not revoked before it begins.
			if ct.IssuedAt.Before(next) && ct.NotAfter.After(day) && (ct.RevokedAt == nil || ct.RevokedAt.After(day)) {
				inUse[strings.Join(ct.Names, "\n")] = true
			}
		}
		r.Days = append(r.Days, UsageDay{Date: day.Format(time.DateOnly), Slots: len(inUse)})
	}
	return r
}
