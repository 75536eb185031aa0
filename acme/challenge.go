package acme

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// completeTimeout bounds recording a validation result.
const completeTimeout = 10 * time.Second

// challenge implements RFC 8555 §7.5.1. POST-as-GET returns the challenge;
// a JSON object payload (normally {}) asks for validation: a pending
// challenge of a pending authorization becomes processing and is validated
// in the background (answer 200, status processing, Retry-After: 1); a
// challenge already processing or valid is returned as it is, without a
// new validation. Every answer links up to the authorization.
func (s *Server) challenge(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	id, err := idParam(r, "challenge")
	if err != nil {
		return err
	}
	ch, err := s.store.GetChallenge(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return notFound("challenge")
	}
	if err != nil {
		return internal(err)
	}
	a, err := s.loadAuthz(ctx, ch.AuthzID, sr.account)
	if err != nil {
		if p, ok := err.(*problem); ok && p.Status == http.StatusForbidden {
			return notYours("challenge")
		}
		return err
	}
	w.Header().Add("Link", link(s.authzURL(a.ID), "up"))
	if sr.postAsGet() || ch.Status == StatusProcessing || ch.Status == StatusValid {
		return s.writeChallenge(w, ch)
	}
	var req struct{}
	if err := decodePayload(sr.payload, &req); err != nil {
		return err
	}
	if st := AuthzStatus(a, s.clock()); st != StatusPending {
		return malformed("authorization is %s; its challenges can no longer be attempted", st)
	}
	if ch.Status != StatusPending {
		return malformed("challenge is %s and cannot be retried; create a new order", ch.Status)
	}
	for _, other := range a.Challenges {
		if other.ID != ch.ID && other.Status == StatusProcessing {
			return malformed("the %s challenge of this authorization is already being validated", other.Type)
		}
	}
	if s.isClosing() {
		return newProblem(probServerInternal, "the server is shutting down; try again").withStatus(http.StatusServiceUnavailable)
	}
	acct := sr.account
	if err := s.store.StartChallenge(ctx, ch.ID, s.clock()); err != nil {
		if !errors.Is(err, ErrConflict) {
			return internal(err)
		}
		return s.startConflict(ctx, w, ch.AuthzID, ch.ID)
	}
	job := validationJob{
		challengeID:  ch.ID,
		typ:          ch.Type,
		name:         strings.TrimPrefix(a.Identifier.Value, "*."),
		token:        ch.Token,
		keyAuth:      ch.Token + "." + acct.KeyThumbprint,
		accountID:    acct.ID,
		contractCode: acct.ContractCode,
		profile:      a.Profile,
	}
	if !s.goAsync(func(bg context.Context) { s.validate(bg, job) }) {
		s.complete(job, newProblem(probServerInternal, "the server is shutting down; try again"))
		return newProblem(probServerInternal, "the server is shutting down; try again").withStatus(http.StatusServiceUnavailable)
	}
	ch.Status = StatusProcessing
	return s.writeChallenge(w, ch)
}

// startConflict answers a challenge POST whose StartChallenge lost to a
// concurrent change: a request that started this challenge (it is returned
// as it is), one that started a sibling, or a change of the authorization.
func (s *Server) startConflict(ctx context.Context, w http.ResponseWriter, authzID, challengeID int64) error {
	a, err := s.store.GetAuthorization(ctx, authzID)
	if err != nil {
		return internal(err)
	}
	for i := range a.Challenges {
		if ch := &a.Challenges[i]; ch.ID == challengeID && (ch.Status == StatusProcessing || ch.Status == StatusValid) {
			return s.writeChallenge(w, ch)
		}
	}
	for _, other := range a.Challenges {
		if other.ID != challengeID && (other.Status == StatusProcessing || other.Status == StatusValid) {
			return malformed("the %s challenge of this authorization is already being validated", other.Type)
		}
	}
	return malformed("authorization is %s; its challenges can no longer be attempted", AuthzStatus(a, s.clock()))
}

// writeChallenge sends ch; while it is processing, Retry-After: 1, or
// Policy.HoldRetryAfter when the vetting gate holds it.
func (s *Server) writeChallenge(w http.ResponseWriter, ch *Challenge) error {
	switch {
	case ch.Status == StatusProcessing && len(ch.Hold) > 0:
		setRetryAfter(w, s.holdRetryAfter())
	case ch.Status == StatusProcessing:
		setRetryAfter(w, 1)
	}
	return writeJSON(w, http.StatusOK, s.challengeView(ch))
}
