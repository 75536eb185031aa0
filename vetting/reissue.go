package vetting

import (
	"fmt"
	"slices"
	"time"
)

// Lifecycle windows (REQUIREMENTS.md "Lifecycle").
const (
	// RenewalWindow: a certificate for the same names ordered within this
	// long of the current one's expiry is a renewal; earlier, a reissue.
	RenewalWindow = 90 * 24 * time.Hour
	// EVReissueWindow: an EV certificate may be reissued once, within this
	// long of its issuance.
	EVReissueWindow = 25 * 24 * time.Hour
)

// HeldNameSets returns the distinct name sets that count against the
// contract's plan at now (PlanCountsAll): every one it was issued in its
// current term, or, on a monthly plan, those with a certificate unrevoked
// and unexpired.
func HeldNameSets(c *Contract, certs []IssuedCertificate, now time.Time) [][]string {
	var sets [][]string
	for _, ct := range certs {
		if PlanCountsAll(c) && ct.IssuedAt.Before(c.TermStart) || !PlanCountsAll(c) && !inUse(ct, now) {
			continue
		}
		if !slices.ContainsFunc(sets, func(s []string) bool { return slices.Equal(s, ct.Names) }) {
			sets = append(sets, ct.Names)
		}
	}
	return sets
}

func inUse(ct IssuedCertificate, now time.Time) bool {
	return ct.RevokedAt == nil && ct.NotAfter.After(now)
}

// ReissueError refuses a reissue the rules do not allow.
type ReissueError struct{ Detail string }

// Error implements error.
func (e *ReissueError) Error() string { return "vetting: " + e.Detail }

// ClientDetail is the problem detail for the ACME client.
func (e *ReissueError) ClientDetail() string { return e.Detail }

// Unwrap returns ErrInactive: the contract cannot have this certificate.
func (e *ReissueError) Unwrap() error { return ErrInactive }

// CheckReissue applies the lifecycle rules to a new certificate of the
// profile for names (sorted), given the contract's certificates. While a
// certificate for the same names is in use and more than RenewalWindow from
// its expiry, the new one is a reissue: free, and the ones it replaces
// (returned, to be revoked as superseded once it is issued) are those
// certificates. An EV certificate may be reissued only once, within
// EVReissueWindow of its issuance; otherwise a *ReissueError. Within the
// window it is a renewal, which replaces nothing: the old certificate runs
// out on its own.
func CheckReissue(profile string, names []string, certs []IssuedCertificate, now time.Time) ([]string, error) {
	var replaced []string
	var early []IssuedCertificate // unexpired, before the renewal window, revoked or not
	for _, ct := range certs {
		if !slices.Equal(ct.Names, names) || ct.Profile != profile || !ct.NotAfter.After(now) || ct.NotAfter.Sub(now) <= RenewalWindow {
			continue
		}
		early = append(early, ct)
		if ct.RevokedAt == nil {
			replaced = append(replaced, ct.Serial)
		}
	}
	if len(replaced) == 0 {
		return nil, nil
	}
	if profile == ProfileEV {
		if len(early) > 1 {
			return nil, &ReissueError{Detail: fmt.Sprintf("the EV certificate for %v was already reissued once; "+
				"another can be ordered from %s, %v before it expires", names, early[0].NotAfter.Add(-RenewalWindow).Format(time.DateOnly), RenewalWindow)}
		}
		if issued := early[0].IssuedAt; now.Sub(issued) > EVReissueWindow {
			return nil, &ReissueError{Detail: fmt.Sprintf("an EV certificate can be reissued only within 25 days of its issuance; "+
				"the one for %v was issued on %s; renew it from %s", names, issued.Format(time.DateOnly),
				early[0].NotAfter.Add(-RenewalWindow).Format(time.DateOnly))}
		}
	}
	return replaced, nil
}

// CheckReplacement applies the rules to an order that replaces a
// certificate of the contract (RFC 9773 "replaces"): on a license plan its
// names may change only within 25 days of the replaced certificate's
// issuance (EVReissueWindow; the FAQ's rule for name changes), while a
// monthly plan allows name changes at any time.
func CheckReplacement(c *Contract, replaced *IssuedCertificate, names []string, now time.Time) error {
	if slices.Equal(replaced.Names, names) || c.Plan == PlanMonthly || now.Sub(replaced.IssuedAt) <= EVReissueWindow {
		return nil
	}
	return &ReissueError{Detail: fmt.Sprintf("on a per-certificate plan the names of a certificate can change only within 25 days of "+
		"its issuance; the one replaced (%v) was issued on %s: order its names, or a new certificate with a new license",
		replaced.Names, replaced.IssuedAt.Format(time.DateOnly))}
}

// WithoutReplaced drops the replaced certificate's name set from held,
// unless another certificate of the contract still holds it: the
// replacement takes its slot or license.
func WithoutReplaced(c *Contract, held [][]string, certs []IssuedCertificate, replaced *IssuedCertificate, now time.Time) [][]string {
	others := slices.DeleteFunc(slices.Clone(certs), func(ct IssuedCertificate) bool { return ct.Serial == replaced.Serial })
	if slices.ContainsFunc(HeldNameSets(c, others, now), func(s []string) bool { return slices.Equal(s, replaced.Names) }) {
		return held
	}
	return slices.DeleteFunc(slices.Clone(held), func(s []string) bool { return slices.Equal(s, replaced.Names) })
}
