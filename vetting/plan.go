package vetting

import (
	"fmt"
	"slices"
	"strings"
)

// PlanError is a plan's refusal of a new name set: the contract already
// holds as many as the plan allows.
type PlanError struct {
	Contract string
	Plan     string
	Limit    int
	// Held are the name sets that use the plan up.
	Held [][]string
}

// Error implements error.
func (e *PlanError) Error() string { return "vetting: " + e.ClientDetail() }

// ClientDetail says what is full, which name sets fill it, and what the
// customer can do; it names only the customer's own certificates.
func (e *PlanError) ClientDetail() string {
	sets := make([]string, len(e.Held))
	for i, h := range e.Held {
		sets[i] = "[" + strings.Join(h, ", ") + "]"
	}
	switch e.Plan {
	case PlanMonthly:
		return fmt.Sprintf("contract %s's monthly plan is full: %d of %d certificates are in use, by %s; "+
			"renew or reissue one of these name sets, revoke one, or ask for more slots",
			e.Contract, len(e.Held), e.Limit, strings.Join(sets, ", "))
	default:
		return fmt.Sprintf("contract %s has used all %d of its licenses, for %s; renewing or reissuing these name sets "+
			"needs no license, a new one needs another license",
			e.Contract, e.Limit, strings.Join(sets, ", "))
	}
}

// Unwrap returns ErrInactive: the contract cannot have this certificate.
func (e *PlanError) Unwrap() error { return ErrInactive }

// PlanCountsAll reports which name sets count against the contract's plan:
// on a monthly plan only those with a certificate still in use (unexpired,
// unrevoked), a slot being freed when its last certificate is revoked or
// expires; on a license plan every name set ever issued, a license being
// the name set's for the contract's term.
func PlanCountsAll(c *Contract) bool { return c.Plan != PlanMonthly }

// CheckPlan decides whether the contract's plan lets it have a certificate
// for names (sorted), given the name sets (each sorted) that count against
// it (PlanCountsAll). A name set it already holds takes nothing new:
// renewals and reissues are free. Otherwise the plan needs room for one
// more, else a *PlanError.
func CheckPlan(c *Contract, names []string, held [][]string) error {
	for _, h := range held {
		if slices.Equal(h, names) {
			return nil
		}
	}
	limit := max(c.Slots, 1)
	if c.Plan != PlanMonthly {
		limit += c.Coupons
	}
	if len(held) < limit {
		return nil
	}
	return &PlanError{Contract: c.Code, Plan: c.Plan, Limit: limit, Held: held}
}
