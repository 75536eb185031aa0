package acme

import (
	"encoding/json"
	"time"
)

// AuthzStatus is the status of a at now (RFC 8555 §7.1.6): a pending or
// valid authorization past its expiry is "expired".
func AuthzStatus(a *Authorization, now time.Time) string {
	if (a.Status == StatusPending || a.Status == StatusValid) && !now.Before(a.Expires) {
		return StatusExpired
	}
	return a.Status
}

// EffectiveStatus is the status of o at now (RFC 8555 §7.1.6). A stored
// status other than pending is final or in progress and returned as is.
// Otherwise the order is invalid if it has expired or any of its
// authorizations is invalid, deactivated, revoked or expired; ready if all
// are valid; else pending.
func EffectiveStatus(o *Order, authzs []*Authorization, now time.Time) string {
	if o.StoredStatus != StatusPending {
		return o.StoredStatus
	}
	if !now.Before(o.Expires) {
		return StatusInvalid
	}
	allValid := len(authzs) > 0
	for _, a := range authzs {
		switch AuthzStatus(a, now) {
		case StatusValid:
		case StatusPending:
			allValid = false
		default:
			return StatusInvalid
		}
	}
	if allValid {
		return StatusReady
	}
	return StatusPending
}

// orderError explains why an order is invalid: the stored problem of a
// failed finalization, else the failing authorization's challenge error,
// else what made it invalid.
func orderError(o *Order, authzs []*Authorization, now time.Time) json.RawMessage {
	if len(o.Error) > 0 {
		return o.Error
	}
	if o.StoredStatus == StatusPending && !now.Before(o.Expires) {
		return problemJSON(malformed("order expired"))
	}
	for _, a := range authzs {
		st := AuthzStatus(a, now)
		if st == StatusValid || st == StatusPending {
			continue
		}
		id := a.Identifier
		for _, c := range a.Challenges {
			if c.Status != StatusInvalid || len(c.Error) == 0 {
				continue
			}
			var p problem
			if json.Unmarshal(c.Error, &p) == nil && p.Type != "" {
				p.Detail = "authorization for " + id.Value + " failed: " + p.Detail
				p.Identifier = &id
				return problemJSON(&p)
			}
		}
		p := unauthorized("authorization for %s is %s", id.Value, st)
		p.Identifier = &id
		return problemJSON(p)
	}
	return nil
}
