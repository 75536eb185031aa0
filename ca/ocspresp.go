package ca

import (
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	xocsp "golang.org/x/crypto/ocsp"

	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

// OCSPStatus is a certificate status an OCSP response asserts (RFC 6960
// §2.2).
type OCSPStatus int

// The three statuses.
const (
	OCSPGood OCSPStatus = iota
	OCSPRevoked
	OCSPUnknown
)

// String returns "good", "revoked" or "unknown".
func (s OCSPStatus) String() string {
	switch s {
	case OCSPGood:
		return "good"
	case OCSPRevoked:
		return "revoked"
	case OCSPUnknown:
		return "unknown"
	}
	return fmt.Sprintf("OCSPStatus(%d)", int(s))
}

// OCSPEntry is what one OCSP response says about one serial.
type OCSPEntry struct {
	IssuerID string
	Serial   string // lower-case hex, as SerialHex
	Status   OCSPStatus
	// RevokedAt and Reason are used when Status is OCSPRevoked; reason 0
	// (unspecified) leaves revocationReason out.
	RevokedAt time.Time
	Reason    int
}

// OCSPResponse is one certificate's status signed for the two CertID hash
// algorithms clients use: SHA-1 (RFC 5019 §2.1.1) and SHA-256 (RFC 5019bis).
type OCSPResponse struct {
	SHA1       []byte // DER OCSPResponse whose CertID is hashed with SHA-1
	SHA256     []byte // the same status with a SHA-256 CertID
	ThisUpdate time.Time
	NextUpdate time.Time
}

// certIDHash is an issuer's half of a CertID for one hash algorithm (RFC
// 6960 §4.1.1).
type certIDHash struct {
	hash     crypto.Hash
	oid      asn1.ObjectIdentifier
	nameHash []byte // hash of the issuer's subject DN
	keyHash  []byte // hash of the issuer's subjectPublicKey bits
}

// CertIDIssuer is an issuer's half of a CertID for one hash algorithm, as
// an OCSP request names it (RFC 6960 §4.1.1).
type CertIDIssuer struct {
	Hash     crypto.Hash
	NameHash []byte
	KeyHash  []byte
}

// CertIDIssuers returns the CertID halves of an issuer certificate for the
// hash algorithms kakuin answers: SHA-1 and SHA-256.
func CertIDIssuers(cert *x509.Certificate) ([]CertIDIssuer, error) {
	h1, h2, err := certIDHashes(cert)
	if err != nil {
		return nil, err
	}
	return []CertIDIssuer{{h1.hash, h1.nameHash, h1.keyHash}, {h2.hash, h2.nameHash, h2.keyHash}}, nil
}

// certIDHashes computes an issuer's CertID hashes for SHA-1 and SHA-256.
func certIDHashes(cert *x509.Certificate) (sha1ID, sha256ID certIDHash, err error) {
	bits, err := publicKeyBits(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return sha1ID, sha256ID, err
	}
	n1, k1 := sha1.Sum(cert.RawSubject), sha1.Sum(bits)
	n2, k2 := sha256.Sum256(cert.RawSubject), sha256.Sum256(bits)
	return certIDHash{crypto.SHA1, oidSHA1, n1[:], k1[:]},
		certIDHash{crypto.SHA256, oidSHA256, n2[:], k2[:]}, nil
}

// SignOCSP signs entry's status for both CertID hash algorithms, each
// response first signed with the throwaway lint key and linted (zlint's
// OCSP response lints), then signed for real over the same bytes. The
// signer is the issuer's delegated OCSP responder (issued or rotated here
// when needed) unless the Authority signs OCSP with the issuer itself.
// thisUpdate and producedAt are now truncated to the minute (RFC 5019
// §2.2.4 lets responses be cached; BR §4.9.10 counts the validity
// interval inclusively, so nextUpdate = thisUpdate + validity - 1s).
func (a *Authority) SignOCSP(ctx context.Context, e OCSPEntry) (*OCSPResponse, error) {
	iss, ok := a.issuers[e.IssuerID]
	if !ok {
		return nil, fmt.Errorf("%w: unknown issuer %q", ErrInvalidRequest, e.IssuerID)
	}
	thisUpdate := a.clock().UTC().Truncate(time.Minute)
	nextUpdate := thisUpdate.Add(a.ocsp.Validity - time.Second)
	s, err := a.ocspSigner(ctx, iss, nextUpdate)
	if err != nil {
		return nil, err
	}
	r := &OCSPResponse{ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	if r.SHA1, err = a.signOCSP(iss, s, iss.ocspSHA1, e, thisUpdate, nextUpdate); err != nil {
		return nil, err
	}
	if r.SHA256, err = a.signOCSP(iss, s, iss.ocspSHA256, e, thisUpdate, nextUpdate); err != nil {
		return nil, err
	}
	return r, nil
}

// SignOCSPUnknown signs an "unknown" response (RFC 6960 §2.2) for a serial
// the issuer never issued, for a CertID hashed with hash (crypto.SHA1 or
// crypto.SHA256), valid for validity (at least a minute). serial is the
// CertID's serialNumber as the client sent it.
func (a *Authority) SignOCSPUnknown(ctx context.Context, issuerID string, serial *big.Int, hash crypto.Hash, validity time.Duration) ([]byte, time.Time, time.Time, error) {
	iss, ok := a.issuers[issuerID]
	if !ok {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("%w: unknown issuer %q", ErrInvalidRequest, issuerID)
	}
	id := iss.ocspSHA1
	switch hash {
	case crypto.SHA1:
	case crypto.SHA256:
		id = iss.ocspSHA256
	default:
		return nil, time.Time{}, time.Time{}, fmt.Errorf("%w: CertID hash %v not supported", ErrInvalidRequest, hash)
	}
	thisUpdate := a.clock().UTC().Truncate(time.Minute)
	nextUpdate := thisUpdate.Add(max(validity, time.Minute) - time.Second)
	s, err := a.ocspSigner(ctx, iss, nextUpdate)
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	der, err := a.signOCSPSerial(iss, s, id, serial, OCSPEntry{Status: OCSPUnknown}, thisUpdate, nextUpdate)
	return der, thisUpdate, nextUpdate, err
}

// signOCSP signs one response for the CertID hash id.
func (a *Authority) signOCSP(iss *issuer, s *ocspSigner, id certIDHash, e OCSPEntry, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	serial, err := SerialFromHex(e.Serial)
	if err != nil {
		return nil, err
	}
	return a.signOCSPSerial(iss, s, id, serial, e, thisUpdate, nextUpdate)
}

// signOCSPSerial builds the ResponseData, signs it with the lint key,
// lints, signs it with s and wraps it in an OCSPResponse (RFC 6960 §4.2.1).
func (a *Authority) signOCSPSerial(iss *issuer, s *ocspSigner, id certIDHash, serial *big.Int, e OCSPEntry, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	if e.Status == OCSPRevoked && e.RevokedAt.IsZero() {
		return nil, fmt.Errorf("%w: revoked status without a revocation time", ErrInvalidRequest)
	}
	tbs, err := responseData(s.keyHash, thisUpdate, id, serial, e, thisUpdate, nextUpdate)
	if err != nil {
		return nil, err
	}
	lintSig, err := iss.lintAlg.sign(iss.lintSigner, tbs)
	if err != nil {
		return nil, err
	}
	lintDER, err := ocspResponse(iss.lintAlg, tbs, lintSig, nil)
	if err != nil {
		return nil, err
	}
	if err := lintOCSP(lintDER, a.lints); err != nil {
		return nil, err
	}
	sig, err := s.alg.sign(s.signer, tbs)
	if err != nil {
		return nil, err
	}
	var certs [][]byte
	if s.cert != nil {
		certs = [][]byte{s.cert.Raw}
	}
	return ocspResponse(s.alg, tbs, sig, certs)
}

// responseData encodes ResponseData (RFC 6960 §4.2.1) with one
// SingleResponse, the responder identified by key hash, and no
// extensions: responses are signed ahead of time, so a request nonce is
// never echoed (RFC 5019 §2.2.1).
func responseData(responderKeyHash []byte, producedAt time.Time, id certIDHash, serial *big.Int, e OCSPEntry, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		// version v1 is the DEFAULT and so omitted.
		b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(responderKeyHash) // byKey
		})
		addGeneralizedTime(b, producedAt)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addCertID(b, id, serial)
				switch e.Status {
				case OCSPGood:
					b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(*cryptobyte.Builder) {})
				case OCSPRevoked:
					b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						addGeneralizedTime(b, e.RevokedAt)
						if e.Reason != ReasonUnspecified {
							b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddASN1Enum(int64(e.Reason))
							})
						}
					})
				default:
					b.AddASN1(cbasn1.Tag(2).ContextSpecific(), func(*cryptobyte.Builder) {})
				}
				addGeneralizedTime(b, thisUpdate)
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					addGeneralizedTime(b, nextUpdate)
				})
			})
		})
	})
	return b.Bytes()
}

// addCertID appends a CertID (RFC 6960 §4.1.1).
func addCertID(b *cryptobyte.Builder, id certIDHash, serial *big.Int) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(id.oid)
			b.AddASN1NULL()
		})
		b.AddASN1OctetString(id.nameHash)
		b.AddASN1OctetString(id.keyHash)
		b.AddASN1BigInt(serial)
	})
}

// ocspResponse wraps a signed ResponseData into a successful OCSPResponse
// carrying a BasicOCSPResponse with the given certificates.
func ocspResponse(alg sigAlg, tbs, sig []byte, certs [][]byte) ([]byte, error) {
	var extra func(*cryptobyte.Builder)
	if len(certs) > 0 {
		extra = func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, c := range certs {
						b.AddBytes(c)
					}
				})
			})
		}
	}
	basic, err := alg.signed(tbs, sig, extra)
	if err != nil {
		return nil, fmt.Errorf("ca: encoding OCSP response: %w", err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Enum(0) // successful
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidOCSPBasic)
				b.AddASN1OctetString(basic)
			})
		})
	})
	return b.Bytes()
}

// lintOCSP runs zlint's OCSP response lints over a DER response.
func lintOCSP(der []byte, reg lint.Registry) error {
	resp, err := xocsp.ParseResponse(der, nil)
	if err != nil {
		return &LintError{Lints: []string{"OCSP parse: " + err.Error()}}
	}
	return lintFailures(zlint.LintOcspResponseEx(resp, reg), false)
}
