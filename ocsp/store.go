package ocsp

import (
	"context"
	"errors"
	"time"

	"github.com/kakuin/kakuin/ca"
)

// Errors a Store returns, wrapped.
var (
	// ErrNotFound: no such certificate, OCSP response or CRL.
	ErrNotFound = errors.New("ocsp: not found")
	// ErrConflict: a conditional write lost to a concurrent one (another
	// process signed the CRL first, or the certificate's status changed).
	ErrConflict = errors.New("ocsp: state conflict")
)

// Response is a certificate's stored OCSP response.
type Response struct {
	IssuerID   string
	SHA1       []byte // DER OCSPResponse for a SHA-1 CertID
	SHA256     []byte // the same for a SHA-256 CertID
	ThisUpdate time.Time
	NextUpdate time.Time
}

// CertStatus is what the status service knows of one certificate.
type CertStatus struct {
	Serial    string
	IssuerID  string
	KeyHash   string // hex SHA-256 of the SubjectPublicKeyInfo
	NotAfter  time.Time
	CRLShard  int
	RevokedAt *time.Time
	Reason    int
}

// Revocation revokes one certificate.
type Revocation struct {
	Serial string
	Reason int
	At     time.Time
	// Actor names who revoked it in the audit log ("acme:account/12",
	// "operator:cli", "system:key-compromise").
	Actor string
	// Response is the signed "revoked" OCSP response that replaces the
	// stored one in the same transaction; nil when OCSP is off.
	Response *ca.OCSPResponse
	// BlockKey adds the certificate's public key to the blocked keys
	// (keyCompromise).
	BlockKey bool
	// ReasonChange changes the reason of a certificate already revoked
	// for another reason (to keyCompromise, when the compromise is learnt
	// later), keeping its revocation time; At must be that time.
	ReasonChange bool
}

// ShardRef names one CRL partition.
type ShardRef struct {
	IssuerID string
	Shard    int
}

// ShardState is a CRL partition's bookkeeping.
type ShardState struct {
	ShardRef
	Number     int64 // cRLNumber of the current CRL, 0 before the first
	ThisUpdate *time.Time
	// Revision counts the partition's revocations; SignedRevision is the
	// count the current CRL includes.
	Revision, SignedRevision int64
	// StaleSince is when the first revocation not on the current CRL was
	// recorded; nil when none.
	StaleSince *time.Time
}

// StoredCRL is a partition's current CRL.
type StoredCRL struct {
	Number     int64
	DER        []byte
	ThisUpdate time.Time
	NextUpdate time.Time
}

// Reader is what the Responder and the CRL publisher read. A read-only
// database role (and a replica) suffices.
type Reader interface {
	// OCSPResponse returns the stored response of the certificate with
	// the serial, or ErrNotFound.
	OCSPResponse(ctx context.Context, serial string) (*Response, error)
	// OCSPChangedSince returns the serials whose response was written at
	// or after since, and the newest such write time (since when none).
	OCSPChangedSince(ctx context.Context, since time.Time, limit int) ([]string, time.Time, error)
	// CRL returns a partition's current CRL, or ErrNotFound (no such
	// partition, or not signed yet).
	CRL(ctx context.Context, issuerID string, shard int) (*StoredCRL, error)
	// CRLNumber returns the cRLNumber of a partition's current CRL, or
	// ErrNotFound.
	CRLNumber(ctx context.Context, issuerID string, shard int) (int64, error)
	// CRLShards lists every partition that has a CRL, by issuer and shard.
	CRLShards(ctx context.Context) ([]ShardRef, error)
}

// Store is what the status Service needs to sign and record status.
type Store interface {
	Reader
	// CertificateStatus returns the certificate with the serial, or
	// ErrNotFound.
	CertificateStatus(ctx context.Context, serial string) (*CertStatus, error)
	// RevokeCertificate records r in one transaction: the certificate
	// revoked, its OCSP response replaced by r.Response, its CRL
	// partition's revision bumped, the key blocked when r.BlockKey, and a
	// "revocation" audit event. ca.ErrAlreadyRevoked if it was revoked
	// before (with r.ReasonChange: if it was not revoked, or already for
	// r.Reason), ErrNotFound if there is no such certificate.
	RevokeCertificate(ctx context.Context, r Revocation) error
	// UnrevokedWithKey returns the serials of the certificates with the
	// key hash that are neither revoked nor expired at now.
	UnrevokedWithKey(ctx context.Context, keyHash string, now time.Time) ([]string, error)
	// ResponsesDue returns up to limit unexpired certificates whose OCSP
	// response is due for refresh at now, the most overdue first.
	ResponsesDue(ctx context.Context, now time.Time, limit int) ([]*CertStatus, error)
	// WithoutResponse returns up to limit certificates unexpired at now
	// that have no OCSP response, with serials greater than after.
	WithoutResponse(ctx context.Context, now time.Time, after string, limit int) ([]*CertStatus, error)
	// SaveOCSPResponse stores r as the certificate's response if its
	// revocation status is still the one r was signed for (revoked or
	// not); ErrConflict otherwise. refreshAt nil means never refresh.
	SaveOCSPResponse(ctx context.Context, serial string, revoked bool, r *ca.OCSPResponse, refreshAt *time.Time) error
	// EnsureCRLShards creates the bookkeeping of partitions 0..n-1 of the
	// issuer that do not exist yet.
	EnsureCRLShards(ctx context.Context, issuerID string, n int) error
	// CRLShardStates returns every partition's bookkeeping.
	CRLShardStates(ctx context.Context) ([]*ShardState, error)
	// RevokedEntries calls emit for every revoked certificate of the
	// partition whose notAfter is at or after expiredSince.
	RevokedEntries(ctx context.Context, issuerID string, shard int, expiredSince time.Time, emit func(ca.CRLEntry) error) error
	// SaveCRL stores crl as the partition's current CRL, covering
	// revision, if its current number is still prevNumber (ErrConflict
	// otherwise).
	SaveCRL(ctx context.Context, issuerID string, shard int, prevNumber int64, crl *ca.CRL, revision int64) error
}
