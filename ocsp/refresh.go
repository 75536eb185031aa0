package ocsp

import (
	"context"
	"errors"
	"fmt"

	"github.com/kakuin/kakuin/ca"
)

// RefreshOCSP re-signs every response due for refresh now, in batches,
// and returns how many it stored. A response whose certificate was revoked
// meanwhile is left to the revocation's own response.
func (s *Service) RefreshOCSP(ctx context.Context) (int, error) {
	n := 0
	for {
		due, err := s.store.ResponsesDue(ctx, s.clock(), refreshBatch)
		if err != nil {
			return n, err
		}
		for _, cs := range due {
			if err := s.sign(ctx, cs); err != nil {
				return n, err
			}
			n++
		}
		if len(due) < refreshBatch {
			return n, nil
		}
	}
}

// Backfill signs a response for every unexpired certificate that has
// none (issued while OCSP was off, or before responses were stored) and
// returns how many it stored.
func (s *Service) Backfill(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		missing, err := s.store.WithoutResponse(ctx, s.clock(), after, refreshBatch)
		if err != nil {
			return n, err
		}
		for _, cs := range missing {
			if err := s.sign(ctx, cs); err != nil {
				return n, err
			}
			n++
			after = cs.Serial
		}
		if len(missing) < refreshBatch {
			return n, nil
		}
	}
}

// sign signs and stores the current status of one certificate.
func (s *Service) sign(ctx context.Context, cs *CertStatus) error {
	e := ca.OCSPEntry{IssuerID: cs.IssuerID, Serial: cs.Serial, Status: ca.OCSPGood}
	if cs.RevokedAt != nil {
		e.Status, e.RevokedAt, e.Reason = ca.OCSPRevoked, *cs.RevokedAt, cs.Reason
	}
	resp, err := s.signer.SignOCSP(ctx, e)
	if err != nil {
		return fmt.Errorf("ocsp: signing response for %s: %w", cs.Serial, err)
	}
	err = s.store.SaveOCSPResponse(ctx, cs.Serial, cs.RevokedAt != nil, resp, RefreshAt(resp, cs.NotAfter))
	if errors.Is(err, ErrConflict) {
		return nil // revoked meanwhile: the revocation stored its own response
	}
	return err
}
