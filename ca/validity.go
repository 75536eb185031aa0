package ca

import "time"

// validitySchedule is the BR §6.3.2 maximum validity of subscriber
// certificates by issuance date, counted inclusively (SC-081): each entry
// applies to certificates issued on or after its date.
var validitySchedule = []struct {
	from time.Time
	max  time.Duration
}{
	{time.Date(2029, 3, 15, 0, 0, 0, 0, time.UTC), 47 * 24 * time.Hour},
	{time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC), 100 * 24 * time.Hour},
	{time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), 200 * 24 * time.Hour},
}

// beforeSchedule is the maximum before the schedule's first date.
const beforeSchedule = 398 * 24 * time.Hour

// MaxValidity returns the longest validity, counted inclusively, that the
// Baseline Requirements allow a subscriber certificate issued at t.
func MaxValidity(t time.Time) time.Duration {
	for _, e := range validitySchedule {
		if !t.Before(e.from) {
			return e.max
		}
	}
	return beforeSchedule
}

// leafValidity is the validity of a leaf issued at notBefore: the
// configured one, if any, capped by the schedule.
func (a *Authority) leafValidity(notBefore time.Time) time.Duration {
	limit := MaxValidity(notBefore)
	if a.validity > 0 && a.validity < limit {
		return a.validity
	}
	return limit
}
