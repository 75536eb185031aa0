package acme

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// CAA is checked twice (RFC 8659 §3, Baseline Requirements §3.2.2.8): when a
// challenge is met, so that a name CAA forbids never becomes a valid
// authorization, and at finalize just before signing, because records
// change and a valid authorization is reused for Policy.AuthzReuse.
const (
	// caaTimeout bounds the CAA checks of one finalization; they share
	// issuanceTimeout with signing and storing.
	caaTimeout = issuanceTimeout / 2
	// caaParallelism bounds the CAA checks of one finalization that run at
	// once.
	caaParallelism = 8
)

// validationCAA checks CAA for the authorization whose challenge job has
// just met, with the challenge type as the RFC 8657 validation method and
// the account's URL. It returns nil if CAA permits issuance, else the
// problem that makes the challenge and its authorization invalid. The job
// names the base domain only, so the authorization is read to know
// whether it is a wildcard's (issuewild, RFC 8659 §4.3).
func (s *Server) validationCAA(ctx context.Context, job validationJob) *problem {
	c := s.validator
	ch, err := s.store.GetChallenge(ctx, job.challengeID)
	var a *Authorization
	if err == nil {
		a, err = s.store.GetAuthorization(ctx, ch.AuthzID)
	}
	if err != nil {
		s.log.Error("acme: read the authorization to check CAA", "challenge", job.challengeID, "err", err)
		return newProblem(probServerInternal, "CAA could not be checked; create a new order")
	}
	return caaProblem(c.CheckCAA(ctx, a.Identifier.Value, s.meta.CAAIdentities, s.accountURL(job.accountID), job.typ))
}

// finalizeCAA checks CAA again for every authorization of an order about
// to be signed: its name, with the type of the challenge that validated it
// and the account's URL (RFC 8657). It returns nil if CAA permits every
// name, else the problem of the first refusal in authorization order.
func (s *Server) finalizeCAA(ctx context.Context, acct *Account, authzs []*Authorization) *problem {
	c := s.validator
	ctx, cancel := context.WithTimeout(ctx, caaTimeout)
	defer cancel()
	errs := make([]error, len(authzs))
	sem := make(chan struct{}, caaParallelism)
	var wg sync.WaitGroup
	for i, a := range authzs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = c.CheckCAA(ctx, a.Identifier.Value, s.meta.CAAIdentities, s.accountURL(acct.ID), validatedBy(a))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if p := caaProblem(err); p != nil {
			return p
		}
	}
	return nil
}

// validatedBy returns the type of the challenge that validated a, "" if
// none did.
func validatedBy(a *Authorization) string {
	for _, ch := range a.Challenges {
		if ch.Status == StatusValid {
			return ch.Type
		}
	}
	return ""
}

// caaProblem maps a CheckCAA error to the problem to send and store: nil
// for nil; its ProblemType() ("caa", "dns") with its ClientDetail(); else
// serverInternal.
func caaProblem(err error) *problem {
	if err == nil {
		return nil
	}
	var pt problemTyper
	var cd clientDetailer
	if errors.As(err, &pt) && errors.As(err, &cd) {
		if typ := strings.TrimPrefix(pt.ProblemType(), errNS); typ != "" {
			return newProblem(typ, "%s", cd.ClientDetail())
		}
	}
	return internal(fmt.Errorf("acme: CAA check: %w", err))
}
