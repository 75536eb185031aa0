package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
)

// EnsureCRLShards creates the bookkeeping rows of partitions 0..n-1 of
// the issuer that do not exist yet.
func (s *core) EnsureCRLShards(ctx context.Context, issuerID string, n int) error {
	return s.db.inTx(ctx, func(c conn) error {
		for i := range n {
			if _, err := c.exec(ctx, `INSERT INTO crl_shards (issuer_id, shard) VALUES ($1, $2)
				ON CONFLICT (issuer_id, shard) DO NOTHING`, issuerID, i); err != nil {
				return fmt.Errorf("store: creating CRL partition %s/%d: %w", issuerID, i, err)
			}
		}
		return nil
	})
}

// CRLShardStates returns every partition's bookkeeping, by issuer and
// shard.
func (s *core) CRLShardStates(ctx context.Context) ([]*ocsp.ShardState, error) {
	r, err := s.db.reader().query(ctx, `SELECT issuer_id, shard, number, this_update, revision, signed_revision, stale_since
		FROM crl_shards ORDER BY issuer_id, shard`)
	if err != nil {
		return nil, fmt.Errorf("store: CRL partitions: %w", err)
	}
	defer r.Close()
	var out []*ocsp.ShardState
	for r.Next() {
		var st ocsp.ShardState
		if err := r.Scan(&st.IssuerID, &st.Shard, &st.Number, &st.ThisUpdate, &st.Revision, &st.SignedRevision, &st.StaleSince); err != nil {
			return nil, fmt.Errorf("store: CRL partitions: %w", err)
		}
		out = append(out, &st)
	}
	return out, r.Err()
}

// CRLShards lists every partition that has a signed CRL.
func (s *core) CRLShards(ctx context.Context) ([]ocsp.ShardRef, error) {
	r, err := s.db.reader().query(ctx, `SELECT issuer_id, shard FROM crl_shards WHERE number > 0 ORDER BY issuer_id, shard`)
	if err != nil {
		return nil, fmt.Errorf("store: CRL partitions: %w", err)
	}
	defer r.Close()
	var out []ocsp.ShardRef
	for r.Next() {
		var ref ocsp.ShardRef
		if err := r.Scan(&ref.IssuerID, &ref.Shard); err != nil {
			return nil, fmt.Errorf("store: CRL partitions: %w", err)
		}
		out = append(out, ref)
	}
	return out, r.Err()
}

// RevokedEntries calls emit for each revoked certificate of the partition
// whose notAfter is at or after expiredSince, streaming the rows.
func (s *core) RevokedEntries(ctx context.Context, issuerID string, shard int, expiredSince time.Time, emit func(ca.CRLEntry) error) error {
	r, err := s.db.reader().query(ctx, `SELECT serial, revoked_at, revoked_reason FROM certificates
		WHERE issuer_id = $1 AND crl_shard = $2 AND revoked_at IS NOT NULL AND not_after >= $3`,
		issuerID, shard, norm(expiredSince))
	if err != nil {
		return fmt.Errorf("store: revoked certificates of %s/%d: %w", issuerID, shard, err)
	}
	defer r.Close()
	for r.Next() {
		var e ca.CRLEntry
		if err := r.Scan(&e.Serial, &e.RevokedAt, &e.Reason); err != nil {
			return fmt.Errorf("store: revoked certificates of %s/%d: %w", issuerID, shard, err)
		}
		if err := emit(e); err != nil {
			return err
		}
	}
	return r.Err()
}

// SaveCRL stores crl as the partition's current CRL covering revision, if
// the partition's number is still prevNumber (ocsp.ErrConflict otherwise).
// stale_since is cleared when revision is the partition's latest.
func (s *core) SaveCRL(ctx context.Context, issuerID string, shard int, prevNumber int64, crl *ca.CRL, revision int64) error {
	if crl.Number <= prevNumber {
		return fmt.Errorf("store: CRL %s/%d number %d is not above %d", issuerID, shard, crl.Number, prevNumber)
	}
	n, err := s.db.writer().exec(ctx, `UPDATE crl_shards SET number = $4, this_update = $5, next_update = $6, der = $7,
		signed_revision = $8, stale_since = CASE WHEN revision <= $8 THEN NULL ELSE stale_since END
		WHERE issuer_id = $1 AND shard = $2 AND number = $3`,
		issuerID, shard, prevNumber, crl.Number, norm(crl.ThisUpdate), norm(crl.NextUpdate), crl.DER, revision)
	if err != nil {
		return fmt.Errorf("store: saving CRL %s/%d: %w", issuerID, shard, err)
	}
	if n == 0 {
		return fmt.Errorf("store: saving CRL %s/%d: number is no longer %d: %w", issuerID, shard, prevNumber, ocsp.ErrConflict)
	}
	return nil
}

// CRL returns a partition's current CRL, or ocsp.ErrNotFound.
func (s *core) CRL(ctx context.Context, issuerID string, shard int) (*ocsp.StoredCRL, error) {
	var c ocsp.StoredCRL
	err := s.db.reader().queryRow(ctx, `SELECT number, der, this_update, next_update FROM crl_shards
		WHERE issuer_id = $1 AND shard = $2 AND number > 0`, issuerID, shard).Scan(&c.Number, &c.DER, &c.ThisUpdate, &c.NextUpdate)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("CRL %s/%d", issuerID, shard), ocsp.ErrNotFound)
	}
	return &c, nil
}

// CRLNumber returns the number of a partition's current CRL, or
// ocsp.ErrNotFound.
func (s *core) CRLNumber(ctx context.Context, issuerID string, shard int) (int64, error) {
	var n int64
	err := s.db.reader().queryRow(ctx, `SELECT number FROM crl_shards WHERE issuer_id = $1 AND shard = $2 AND number > 0`,
		issuerID, shard).Scan(&n)
	if err != nil {
		return 0, notFound(err, fmt.Sprintf("CRL %s/%d", issuerID, shard), ocsp.ErrNotFound)
	}
	return n, nil
}

// responderDetail is the detail of an "ocsp-responder-issuance" audit event.
type responderDetail struct {
	Serial    string    `json:"serial"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DER       string    `json:"der"` // base64
}

// RecordResponderCertificate records a delegated OCSP responder
// certificate, whose serial must have been reserved by the issuer, as an
// "ocsp-responder-issuance" audit event carrying the certificate.
func (s *core) RecordResponderCertificate(ctx context.Context, rc ca.ResponderCertificate) error {
	what := "recording OCSP responder certificate " + rc.Serial
	return s.db.inTx(ctx, func(c conn) error {
		var issuerID string
		err := c.queryRow(ctx, `SELECT issuer_id FROM serials WHERE serial = $1`, rc.Serial).Scan(&issuerID)
		if errors.Is(err, errNoRows) || (err == nil && issuerID != rc.IssuerID) {
			return fmt.Errorf("store: %s: serial not reserved by %s", what, rc.IssuerID)
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		detail, _ := json.Marshal(responderDetail{Serial: rc.Serial, Issuer: rc.IssuerID, NotBefore: norm(rc.NotBefore),
			NotAfter: norm(rc.NotAfter), DER: base64.StdEncoding.EncodeToString(rc.DER)}) // cannot fail
		if _, err := insertAudit(ctx, c, s.now().UTC(), "ocsp-responder-issuance", "ca:"+rc.IssuerID, rc.Serial, detail); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		return nil
	})
}
