package acme

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// The vetting hold (DESIGN.md "Why the hold sits at the authorization"):
// once a challenge proves domain control, the vetting gate decides whether
// the account's organization may have the name at the authorization's
// profile. If officers must decide first, the challenge stays processing
// with a hold recorded on it and the authorization stays pending, showing
// a "hold" object; clients poll, give up, and on their next run a new
// order reuses the pending authorization. Server.Run asks the gate again
// every Policy.HoldRecheck: an approval makes the authorization valid (as
// validated when domain control was proven), a rejection invalid with the
// officer's reason.

// holdJSON is the non-standard "hold" member of a held authorization: what
// it waits for, the vetting cases, and whom to ask.
type holdJSON struct {
	Reason  string  `json:"reason"`
	Cases   []int64 `json:"cases"`
	Contact string  `json:"contact,omitempty"`
}

// gateJob asks the vetting gate about a job whose validation succeeded and
// records the answer: valid, held, or invalid with the officer's reason.
func (s *Server) gateJob(ctx context.Context, job validationJob) {
	res, err := s.gate(ctx, job.contractCode, job.profile, job.name)
	switch {
	case err != nil:
		// The gate is unavailable: hold, and let releaseHolds retry.
		s.log.Error("acme: vetting gate", "challenge", job.challengeID, "err", err)
		s.hold(ctx, job.challengeID, &vetting.GateResult{Held: true, Reason: "awaiting the vetting gate (temporarily unavailable)"}, s.clock())
	case res.Held:
		s.hold(ctx, job.challengeID, res, s.clock())
	case res.Rejected:
		s.complete(job, rejection(res))
	default:
		s.complete(job, nil)
	}
}

// gate asks the vetting gate about name for the contract's organization.
func (s *Server) gate(ctx context.Context, contractCode, profile, name string) (*vetting.GateResult, error) {
	c, err := s.vetting.Contract(ctx, contractCode)
	if err != nil {
		return nil, err
	}
	return s.vetting.Gate(ctx, vetting.GateInput{OrganizationID: c.OrganizationID, Profile: profile, Name: name})
}

// rejection is the problem of a name officers rejected: rejectedIdentifier
// for the name or its domain, unauthorized for the organization's
// identity; the detail is the officer's reason.
func rejection(res *vetting.GateResult) *problem {
	typ := probRejectedIdentifier
	if res.RejectedKind == vetting.CaseIdentity {
		typ = probUnauthorized
	}
	return newProblem(typ, "rejected by the CA's vetting staff: %s", res.Reason)
}

// hold records the gate's hold on a challenge.
func (s *Server) hold(ctx context.Context, challengeID int64, res *vetting.GateResult, at time.Time) {
	b, err := json.Marshal(holdJSON{Reason: res.Reason, Cases: res.Cases})
	if err == nil {
		err = s.store.HoldChallenge(ctx, challengeID, b, at)
	}
	if err != nil && !errors.Is(err, ErrConflict) {
		s.log.Error("acme: record vetting hold", "challenge", challengeID, "err", err)
		return
	}
	s.metrics.validation("hold", "held")
	s.log.Info("acme vetting hold", "challenge", challengeID, "cases", res.Cases, "reason", res.Reason)
}

// releaseHolds asks the gate again about every held challenge.
func (s *Server) releaseHolds(ctx context.Context) {
	const page = 100
	for after := int64(0); ctx.Err() == nil; {
		held, err := s.store.HeldChallenges(ctx, after, page)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("acme: read held challenges", "err", err)
			}
			return
		}
		for _, h := range held {
			after = h.ChallengeID
			s.recheck(ctx, h)
		}
		if len(held) < page {
			return
		}
	}
}

// recheck settles one held challenge if the gate now has an answer. The
// released authorization counts as validated when domain control was
// proven (HeldAt), so the reuse period (Policy.AuthzReuse) runs from then.
func (s *Server) recheck(ctx context.Context, h *HeldChallenge) {
	res, err := s.gate(ctx, h.ContractCode, h.Profile, h.Name)
	if err != nil {
		s.log.Warn("acme: vetting gate", "challenge", h.ChallengeID, "err", err)
		return
	}
	job := validationJob{challengeID: h.ChallengeID, typ: "hold", name: h.Name, accountID: h.AccountID}
	switch {
	case res.Held:
		if b, err := json.Marshal(holdJSON{Reason: res.Reason, Cases: res.Cases}); err == nil && string(b) != string(h.Hold) {
			s.hold(ctx, h.ChallengeID, res, h.HeldAt)
		}
	case res.Rejected:
		s.completeAt(job, rejection(res), h.HeldAt)
	default:
		s.completeAt(job, nil, h.HeldAt)
	}
}

// holdOf returns the hold of a pending authorization's processing
// challenge, or nil.
func (s *Server) holdOf(a *Authorization) *holdJSON {
	for _, c := range a.Challenges {
		if c.Status == StatusProcessing && len(c.Hold) > 0 {
			var h holdJSON
			if json.Unmarshal(c.Hold, &h) != nil {
				return nil
			}
			h.Contact = s.policy.HoldContact
			return &h
		}
	}
	return nil
}

// holdRetryAfter is Policy.HoldRetryAfter in whole seconds, at least 1.
func (s *Server) holdRetryAfter() int {
	return max(1, int(s.policy.HoldRetryAfter/time.Second))
}
