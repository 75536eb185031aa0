package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
)

func statusText(revoked bool) string {
	if revoked {
		return "revoked"
	}
	return "good"
}

// insertOCSPResponse stores a certificate's first response on c.
func insertOCSPResponse(ctx context.Context, c conn, serial, issuerID string, revoked bool, r *ca.OCSPResponse, refresh *time.Time, at time.Time) error {
	_, err := c.exec(ctx, `INSERT INTO ocsp_responses (serial, issuer_id, status, der_sha1, der_sha256, this_update,
		next_update, refresh_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		serial, issuerID, statusText(revoked), r.SHA1, r.SHA256, norm(r.ThisUpdate), norm(r.NextUpdate), normPtr(refresh), norm(at))
	return err
}

// upsertOCSPResponse stores a certificate's response on c, replacing any.
func upsertOCSPResponse(ctx context.Context, c conn, serial, issuerID string, revoked bool, r *ca.OCSPResponse, refresh *time.Time, at time.Time) error {
	_, err := c.exec(ctx, `INSERT INTO ocsp_responses (serial, issuer_id, status, der_sha1, der_sha256, this_update,
		next_update, refresh_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (serial) DO UPDATE SET status = excluded.status, der_sha1 = excluded.der_sha1,
		der_sha256 = excluded.der_sha256, this_update = excluded.this_update, next_update = excluded.next_update,
		refresh_at = excluded.refresh_at, updated_at = excluded.updated_at`,
		serial, issuerID, statusText(revoked), r.SHA1, r.SHA256, norm(r.ThisUpdate), norm(r.NextUpdate), normPtr(refresh), norm(at))
	return err
}

// OCSPResponse returns the stored response of the certificate with the
// serial, or ocsp.ErrNotFound.
func (s *core) OCSPResponse(ctx context.Context, serial string) (*ocsp.Response, error) {
	var r ocsp.Response
	err := s.db.reader().queryRow(ctx, `SELECT issuer_id, der_sha1, der_sha256, this_update, next_update
		FROM ocsp_responses WHERE serial = $1`, serial).Scan(&r.IssuerID, &r.SHA1, &r.SHA256, &r.ThisUpdate, &r.NextUpdate)
	if err != nil {
		return nil, notFound(err, "OCSP response "+serial, ocsp.ErrNotFound)
	}
	return &r, nil
}

// OCSPChangedSince returns up to limit serials whose response was written
// at or after since, oldest write first, and the newest write time among
// them (since when none).
func (s *core) OCSPChangedSince(ctx context.Context, since time.Time, limit int) ([]string, time.Time, error) {
	r, err := s.db.reader().query(ctx, `SELECT serial, updated_at FROM ocsp_responses WHERE updated_at >= $1
		ORDER BY updated_at LIMIT $2`, norm(since), limit)
	if err != nil {
		return nil, since, fmt.Errorf("store: OCSP changes: %w", err)
	}
	defer r.Close()
	var serials []string
	newest := since
	for r.Next() {
		var serial string
		var at time.Time
		if err := r.Scan(&serial, &at); err != nil {
			return nil, since, fmt.Errorf("store: OCSP changes: %w", err)
		}
		serials = append(serials, serial)
		newest = at
	}
	if err := r.Err(); err != nil {
		return nil, since, fmt.Errorf("store: OCSP changes: %w", err)
	}
	return serials, newest, nil
}

// certStatusColumns are the columns scanCertStatus reads.
const certStatusColumns = `c.serial, c.issuer_id, c.key_hash, c.not_after, c.crl_shard, c.revoked_at, COALESCE(c.revoked_reason, 0)`

func scanCertStatus(r row) (*ocsp.CertStatus, error) {
	var cs ocsp.CertStatus
	err := r.Scan(&cs.Serial, &cs.IssuerID, &cs.KeyHash, &cs.NotAfter, &cs.CRLShard, &cs.RevokedAt, &cs.Reason)
	return &cs, err
}

// CertificateStatus returns the certificate with the serial, or
// ocsp.ErrNotFound.
func (s *core) CertificateStatus(ctx context.Context, serial string) (*ocsp.CertStatus, error) {
	cs, err := scanCertStatus(s.db.reader().queryRow(ctx, `SELECT `+certStatusColumns+` FROM certificates c WHERE c.serial = $1`, serial))
	if err != nil {
		return nil, notFound(err, "certificate "+serial, ocsp.ErrNotFound)
	}
	return cs, nil
}

// queryCertStatuses runs a query selecting certStatusColumns.
func (s *core) queryCertStatuses(ctx context.Context, what, sql string, args ...any) ([]*ocsp.CertStatus, error) {
	r, err := s.db.reader().query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer r.Close()
	var out []*ocsp.CertStatus
	for r.Next() {
		cs, err := scanCertStatus(r)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, cs)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// ResponsesDue returns up to limit unexpired certificates whose OCSP
// response is due for refresh at now, most overdue first.
func (s *core) ResponsesDue(ctx context.Context, now time.Time, limit int) ([]*ocsp.CertStatus, error) {
	return s.queryCertStatuses(ctx, "OCSP responses due", `SELECT `+certStatusColumns+`
		FROM ocsp_responses o JOIN certificates c ON c.serial = o.serial
		WHERE o.refresh_at IS NOT NULL AND o.refresh_at <= $1 AND c.not_after > $1
		ORDER BY o.refresh_at LIMIT $2`, norm(now), limit)
}

// WithoutResponse returns up to limit certificates unexpired at now that
// have no OCSP response, by serial after after.
func (s *core) WithoutResponse(ctx context.Context, now time.Time, after string, limit int) ([]*ocsp.CertStatus, error) {
	return s.queryCertStatuses(ctx, "certificates without OCSP response", `SELECT `+certStatusColumns+`
		FROM certificates c LEFT JOIN ocsp_responses o ON o.serial = c.serial
		WHERE o.serial IS NULL AND c.not_after > $1 AND c.serial > $2
		ORDER BY c.serial LIMIT $3`, norm(now), after, limit)
}

// SaveOCSPResponse stores r as the certificate's response if the
// certificate's revocation status is still revoked (or not); ocsp.ErrConflict
// otherwise, ocsp.ErrNotFound if there is no such certificate.
func (s *core) SaveOCSPResponse(ctx context.Context, serial string, revoked bool, r *ca.OCSPResponse, refresh *time.Time) error {
	what := "saving OCSP response " + serial
	return s.db.inTx(ctx, func(c conn) error {
		var issuerID string
		var revokedAt *time.Time
		err := c.queryRow(ctx, `SELECT issuer_id, revoked_at FROM certificates WHERE serial = $1 FOR UPDATE`, serial).
			Scan(&issuerID, &revokedAt)
		if err != nil {
			return notFound(err, what, ocsp.ErrNotFound)
		}
		if (revokedAt != nil) != revoked {
			return fmt.Errorf("store: %s: certificate status changed: %w", what, ocsp.ErrConflict)
		}
		if err := upsertOCSPResponse(ctx, c, serial, issuerID, revoked, r, refresh, s.now()); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		return nil
	})
}

// revocationDetail is the detail of a "revocation" audit event.
type revocationDetail struct {
	Serial   string `json:"serial"`
	Issuer   string `json:"issuer"`
	Reason   int    `json:"reason"`
	KeyHash  string `json:"key_hash,omitempty"`
	BlockKey bool   `json:"key_blocked,omitempty"`
	// ReasonChanged marks a new reason for an earlier revocation.
	ReasonChanged bool `json:"reason_changed,omitempty"`
}

// RevokeCertificate records the revocation in one transaction: the
// certificate, its OCSP response, its CRL partition's revision, the
// blocked key and a "revocation" audit event (RFC 8555 §7.6, BR §4.9).
// ca.ErrAlreadyRevoked if it already was, ocsp.ErrNotFound if there is no
// such certificate.
func (s *core) RevokeCertificate(ctx context.Context, rv ocsp.Revocation) error {
	at := s.stamp(rv.At)
	// written is when this happens: for a reason change, later than the
	// revocation time at. Responders poll updated_at for what changed.
	written, auditAt := s.stamp(time.Time{}), at
	if rv.ReasonChange {
		auditAt = written
	}
	what := "revoking certificate " + rv.Serial
	return s.db.inTx(ctx, func(c conn) error {
		var issuerID, keyHash string
		var shard int
		var notAfter time.Time
		update := `UPDATE certificates SET revoked_at = $2, revoked_reason = $3
			WHERE serial = $1 AND revoked_at IS NULL RETURNING issuer_id, crl_shard, key_hash, not_after`
		if rv.ReasonChange {
			update = `UPDATE certificates SET revoked_reason = $3
			WHERE serial = $1 AND revoked_at = $2 AND revoked_reason <> $3 RETURNING issuer_id, crl_shard, key_hash, not_after`
		}
		err := c.queryRow(ctx, update, rv.Serial, at, rv.Reason).Scan(&issuerID, &shard, &keyHash, &notAfter)
		if errors.Is(err, errNoRows) {
			return missOrConflict(ctx, c, "certificates", "serial", rv.Serial, what, ocsp.ErrNotFound, ca.ErrAlreadyRevoked)
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if rv.Response != nil {
			if err := upsertOCSPResponse(ctx, c, rv.Serial, issuerID, true, rv.Response, ocsp.RefreshAt(rv.Response, notAfter), written); err != nil {
				return fmt.Errorf("store: %s: OCSP response: %w", what, err)
			}
		}
		_, err = c.exec(ctx, `INSERT INTO crl_shards (issuer_id, shard, revision, stale_since) VALUES ($1, $2, 1, $3)
			ON CONFLICT (issuer_id, shard) DO UPDATE SET revision = crl_shards.revision + 1,
			stale_since = COALESCE(crl_shards.stale_since, excluded.stale_since)`, issuerID, shard, at)
		if err != nil {
			return fmt.Errorf("store: %s: CRL partition: %w", what, err)
		}
		if rv.BlockKey {
			_, err := c.exec(ctx, `INSERT INTO blocked_keys (key_hash, source_serial, blocked_at) VALUES ($1, $2, $3)
				ON CONFLICT (key_hash) DO NOTHING`, keyHash, rv.Serial, auditAt)
			if err != nil {
				return fmt.Errorf("store: %s: blocking key: %w", what, err)
			}
		}
		detail, _ := json.Marshal(revocationDetail{Serial: rv.Serial, Issuer: issuerID, Reason: rv.Reason,
			KeyHash: keyHash, BlockKey: rv.BlockKey, ReasonChanged: rv.ReasonChange}) // cannot fail
		if _, err := insertAudit(ctx, c, auditAt, "revocation", rv.Actor, rv.Serial, detail); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		return nil
	})
}

// UnrevokedWithKey returns the serials of the certificates with the key
// hash that are neither revoked nor expired at now.
func (s *core) UnrevokedWithKey(ctx context.Context, keyHash string, now time.Time) ([]string, error) {
	r, err := s.db.reader().query(ctx, `SELECT serial FROM certificates WHERE key_hash = $1 AND revoked_at IS NULL
		AND not_after > $2 ORDER BY serial`, keyHash, norm(now))
	if err != nil {
		return nil, fmt.Errorf("store: certificates with key: %w", err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var serial string
		if err := r.Scan(&serial); err != nil {
			return nil, fmt.Errorf("store: certificates with key: %w", err)
		}
		out = append(out, serial)
	}
	return out, r.Err()
}

// IsKeyBlocked reports whether a keyCompromise revocation blocked the key
// with the hex SHA-256 SubjectPublicKeyInfo hash.
func (s *core) IsKeyBlocked(ctx context.Context, keyHash string) (bool, error) {
	ok, err := exists(ctx, s.db.reader(), "blocked_keys", "key_hash", keyHash)
	if err != nil {
		return false, fmt.Errorf("store: blocked key: %w", err)
	}
	return ok, nil
}
