package ocsp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kakuin/kakuin/ca"
)

// UpdateCRLs creates the bookkeeping of every issuer's CRLShards
// partitions (on its first call) and re-signs each partition that has no CRL yet, has had a
// revocation since its CRL was signed, or whose CRL is CRLInterval old.
// A partition another process re-signed first is left to it.
func (s *Service) UpdateCRLs(ctx context.Context) error {
	issuers := s.signer.Issuers()
	if err := s.ensureShards(ctx, issuers); err != nil {
		return err
	}
	states, err := s.store.CRLShardStates(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, st := range states {
		if !slices.Contains(issuers, st.IssuerID) {
			continue // an issuer this process does not hold
		}
		now := s.clock()
		due := st.Number == 0 || st.Revision > st.SignedRevision ||
			st.ThisUpdate == nil || now.Sub(*st.ThisUpdate) >= s.crlIntv
		if !due {
			continue
		}
		if err := s.signShard(ctx, st); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ensureShards creates the partitions' bookkeeping once per Service (a
// write transaction; UpdateCRLs runs every crlPoll), again after a failure.
func (s *Service) ensureShards(ctx context.Context, issuers []string) error {
	s.ensureMu.Lock()
	defer s.ensureMu.Unlock()
	if s.ensured {
		return nil
	}
	for _, id := range issuers {
		if err := s.store.EnsureCRLShards(ctx, id, s.shards); err != nil {
			return err
		}
	}
	s.ensured = true
	return nil
}

// signShard signs and stores one partition's CRL. The partition's state
// was read before its entries, so every revocation counted in st.Revision
// is on the CRL. An entry stays until its certificate has expired and
// appeared on one more CRL: certificates that expired before the previous
// CRL's thisUpdate are left out.
func (s *Service) signShard(ctx context.Context, st *ShardState) error {
	var expiredSince time.Time
	if st.ThisUpdate != nil {
		expiredSince = *st.ThisUpdate
	}
	crl, err := s.signer.SignCRL(ctx, ca.CRLRequest{
		IssuerID: st.IssuerID,
		Shard:    st.Shard,
		Number:   st.Number + 1,
		Validity: s.crlVal,
		Entries: func(emit func(ca.CRLEntry) error) error {
			return s.store.RevokedEntries(ctx, st.IssuerID, st.Shard, expiredSince, emit)
		},
	})
	if err != nil {
		return fmt.Errorf("ocsp: signing CRL %s/%d: %w", st.IssuerID, st.Shard, err)
	}
	err = s.store.SaveCRL(ctx, st.IssuerID, st.Shard, st.Number, crl, st.Revision)
	if errors.Is(err, ErrConflict) {
		return nil
	}
	if err != nil {
		return err
	}
	attrs := []any{"issuer", st.IssuerID, "shard", st.Shard, "number", crl.Number, "entries", crl.Count}
	if st.StaleSince == nil { // scheduled
		s.log.DebugContext(ctx, "CRL signed", attrs...)
		return nil
	}
	attrs = append(attrs, "revocation_delay", s.clock().Sub(*st.StaleSince).Round(time.Millisecond))
	s.log.InfoContext(ctx, "CRL signed after a revocation", attrs...)
	return nil
}
