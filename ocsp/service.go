package ocsp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kakuin/kakuin/ca"
)

// Signer signs status. *ca.Authority implements it.
type Signer interface {
	SignOCSP(ctx context.Context, e ca.OCSPEntry) (*ca.OCSPResponse, error)
	SignCRL(ctx context.Context, req ca.CRLRequest) (*ca.CRL, error)
	// Issuers returns the ids of the issuing CAs.
	Issuers() []string
}

// Defaults of ServiceOptions.
const (
	DefaultCRLShards   = 16
	DefaultCRLInterval = 6 * time.Hour
	// crlPoll is how often Run looks for partitions other processes made
	// stale; a revocation in this process wakes it at once.
	crlPoll = 10 * time.Second
	// ocspPoll is how often Run looks for responses due for refresh.
	ocspPoll     = 30 * time.Second
	refreshBatch = 256
)

// ServiceOptions configures a Service.
type ServiceOptions struct {
	Store  Store
	Signer Signer
	// OCSP signs OCSP responses (a revoked one on each revocation, fresh
	// ones before half their validity). Off: no response is signed.
	OCSP bool
	// CRLShards is the number of partitions per issuer new certificates
	// are assigned to (ca.Options.CRLShards). Default DefaultCRLShards.
	CRLShards int
	// CRLValidity is nextUpdate - thisUpdate of each CRL (at most 10 days,
	// BR §4.9.7). Default ca.DefaultCRLValidity.
	CRLValidity time.Duration
	// CRLInterval is how often every partition is re-signed even without
	// revocations, at most 24h. Default DefaultCRLInterval.
	CRLInterval time.Duration
	Clock       func() time.Time
	Logger      *slog.Logger
}

// Service revokes certificates and keeps OCSP responses and CRLs current.
// Several processes may run one each against the same database.
type Service struct {
	store   Store
	signer  Signer
	ocsp    bool
	shards  int
	crlVal  time.Duration
	crlIntv time.Duration
	clock   func() time.Time
	log     *slog.Logger
	// kick wakes the CRL updater after a revocation in this process.
	kick chan struct{}
	// ensured is set once the CRL partitions' bookkeeping exists.
	ensureMu sync.Mutex
	ensured  bool
}

// NewService checks opts and returns a Service.
func NewService(opts ServiceOptions) (*Service, error) {
	if opts.Store == nil || opts.Signer == nil {
		return nil, errors.New("ocsp: ServiceOptions.Store and Signer are required")
	}
	if opts.CRLShards == 0 {
		opts.CRLShards = DefaultCRLShards
	}
	if opts.CRLValidity == 0 {
		opts.CRLValidity = ca.DefaultCRLValidity
	}
	if opts.CRLInterval == 0 {
		opts.CRLInterval = DefaultCRLInterval
	}
	switch {
	case opts.CRLShards < 1 || opts.CRLShards > ca.MaxCRLShards:
		return nil, fmt.Errorf("ocsp: CRLShards %d out of range 1-%d", opts.CRLShards, ca.MaxCRLShards)
	case opts.CRLInterval < time.Minute || opts.CRLInterval > 24*time.Hour:
		return nil, fmt.Errorf("ocsp: CRLInterval %v out of range 1m-24h", opts.CRLInterval)
	case opts.CRLValidity < opts.CRLInterval+time.Hour || opts.CRLValidity > 10*24*time.Hour:
		return nil, fmt.Errorf("ocsp: CRLValidity %v must exceed CRLInterval by an hour and be at most 240h", opts.CRLValidity)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{store: opts.Store, signer: opts.Signer, ocsp: opts.OCSP, shards: opts.CRLShards,
		crlVal: opts.CRLValidity, crlIntv: opts.CRLInterval, clock: opts.Clock, log: opts.Logger,
		kick: make(chan struct{}, 1)}, nil
}

// RefreshAt is when a response is re-signed: at half its validity (RFC
// 5019 §6.1; BR §4.9.10 wants it before half the validity has passed for
// validity intervals of 16 hours or more), or never (nil) when the
// certificate has expired by then.
func RefreshAt(r *ca.OCSPResponse, notAfter time.Time) *time.Time {
	t := r.ThisUpdate.Add(r.NextUpdate.Sub(r.ThisUpdate) / 2)
	if !t.Before(notAfter) {
		return nil
	}
	return &t
}

// Revoke implements BR §4.9 for one certificate: it signs the "revoked"
// OCSP response, then records the revocation, the response and the CRL
// partition's new revision in one transaction, and wakes the CRL updater.
// A keyCompromise revocation also blocks the key and revokes every other
// unexpired certificate with the same key, also for a certificate revoked
// before for another reason (whose reason changes to keyCompromise, as
// BR §4.9.1.1 and the root programs expect). reason must be one BR §7.2.2
// allows for subscriber certificates (an error wrapping
// ca.ErrReasonNotAllowed otherwise); ca.ErrAlreadyRevoked if it is
// revoked, ErrNotFound if there is no such certificate.
func (s *Service) Revoke(ctx context.Context, serial string, reason int, actor string) error {
	if err := ca.CheckSubscriberReason(reason); err != nil {
		return err
	}
	cs, err := s.store.CertificateStatus(ctx, serial)
	if err != nil {
		return err
	}
	if err := s.revoke(ctx, cs, reason, actor); err != nil {
		return err
	}
	if reason != ca.ReasonKeyCompromise {
		return nil
	}
	others, err := s.store.UnrevokedWithKey(ctx, cs.KeyHash, s.clock())
	if err != nil {
		return fmt.Errorf("ocsp: certificates sharing the compromised key of %s: %w", serial, err)
	}
	for _, other := range others {
		ocs, err := s.store.CertificateStatus(ctx, other)
		if err != nil {
			return err
		}
		err = s.revoke(ctx, ocs, ca.ReasonKeyCompromise, "system:key-compromise-of/"+serial)
		if err != nil && !errors.Is(err, ca.ErrAlreadyRevoked) {
			return fmt.Errorf("ocsp: revoking %s, which shares the compromised key of %s: %w", other, serial, err)
		}
	}
	if len(others) > 0 {
		s.log.InfoContext(ctx, "certificates sharing a compromised key revoked", "serial", serial, "others", others)
	}
	return nil
}

// revoke signs and records one revocation. A certificate revoked before
// for another reason is revoked again for keyCompromise (its reason
// changes, its revocation time stays), so that the key is blocked and its
// other certificates revoked; any other second revocation is
// ca.ErrAlreadyRevoked.
func (s *Service) revoke(ctx context.Context, cs *CertStatus, reason int, actor string) error {
	// Truncated to the second: what CRLs and OCSP responses can say.
	at := s.clock().UTC().Truncate(time.Second)
	change := false
	if cs.RevokedAt != nil {
		if reason != ca.ReasonKeyCompromise || cs.Reason == ca.ReasonKeyCompromise {
			return fmt.Errorf("ocsp: revoking %s: %w", cs.Serial, ca.ErrAlreadyRevoked)
		}
		at, change = *cs.RevokedAt, true
	}
	rv := Revocation{Serial: cs.Serial, Reason: reason, At: at, Actor: actor, BlockKey: reason == ca.ReasonKeyCompromise,
		ReasonChange: change}
	if s.ocsp {
		resp, err := s.signer.SignOCSP(ctx, ca.OCSPEntry{IssuerID: cs.IssuerID, Serial: cs.Serial, Status: ca.OCSPRevoked,
			RevokedAt: at, Reason: reason})
		if err != nil {
			return fmt.Errorf("ocsp: signing revoked response for %s: %w", cs.Serial, err)
		}
		rv.Response = resp
	}
	if err := s.store.RevokeCertificate(ctx, rv); err != nil {
		return err
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	s.log.InfoContext(ctx, "certificate revoked", "serial", cs.Serial, "issuer", cs.IssuerID, "reason", ca.ReasonName(reason), "actor", actor)
	return nil
}

// Run keeps status current until ctx ends: it signs responses for
// certificates that have none, re-signs responses due for refresh, and
// re-signs CRL partitions within seconds of a revocation in this process,
// within crlPoll of one in another, and every CRLInterval.
func (s *Service) Run(ctx context.Context) {
	if s.ocsp {
		if n, err := s.Backfill(ctx); err != nil {
			s.log.ErrorContext(ctx, "ocsp: backfilling responses", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "ocsp: signed responses for certificates that had none", "count", n)
		}
	}
	crlTick := time.NewTicker(crlPoll)
	defer crlTick.Stop()
	ocspTick := time.NewTicker(ocspPoll)
	defer ocspTick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
			// Let a burst of revocations land in one CRL.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			s.logCRLErr(ctx, s.UpdateCRLs(ctx))
		case <-crlTick.C:
			s.logCRLErr(ctx, s.UpdateCRLs(ctx))
		case <-ocspTick.C:
			if !s.ocsp {
				continue
			}
			if _, err := s.RefreshOCSP(ctx); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "ocsp: refreshing responses", "err", err)
			}
		}
	}
}

func (s *Service) logCRLErr(ctx context.Context, err error) {
	if err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "ocsp: updating CRLs", "err", err)
	}
}
