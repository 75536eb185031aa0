package ca

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CRL validity limits (BR §4.9.7: nextUpdate at most ten days after
// thisUpdate).
const (
	DefaultCRLValidity = 7 * 24 * time.Hour
	maxCRLValidity     = 10 * 24 * time.Hour
)

// CRLEntry is one revoked certificate on a CRL.
type CRLEntry struct {
	Serial    string // lower-case hex, as SerialHex
	RevokedAt time.Time
	Reason    int // CRLReason; unspecified (0) omits the reasonCode extension
}

// CRLRequest asks for one CRL partition of an issuer.
type CRLRequest struct {
	IssuerID string
	Shard    int
	// Number is the cRLNumber: positive, and greater than that of every
	// CRL of the partition before (RFC 5280 §5.2.3).
	Number int64
	// Validity is nextUpdate - thisUpdate, counted inclusively; at most
	// 10 days. Zero means DefaultCRLValidity.
	Validity time.Duration
	// Entries calls emit once per revoked certificate, in any order, and
	// returns the first error emit or its own source returned. It may be
	// called twice.
	Entries func(emit func(CRLEntry) error) error
}

// CRL is a signed CRL partition.
type CRL struct {
	DER        []byte
	Number     int64
	ThisUpdate time.Time
	NextUpdate time.Time
	Count      int // revoked entries
}

// SignCRL builds and signs one partition of an issuer's CRL (RFC 5280
// §5, BR §7.2): v2, the issuer's signature algorithm, thisUpdate now,
// nextUpdate thisUpdate + validity - 1s, one entry per revoked certificate
// with a reasonCode unless unspecified, AKI, cRLNumber and a critical
// issuingDistributionPoint whose URI is the partition's URL byte for byte
// with onlyContainsUserCerts. The TBSCertList is signed first with the
// throwaway lint key and linted with zlint, and only then signed with the
// issuer's key; both signatures cover the same bytes.
func (a *Authority) SignCRL(ctx context.Context, req CRLRequest) (*CRL, error) {
	iss, ok := a.issuers[req.IssuerID]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: unknown issuer %q", ErrInvalidRequest, req.IssuerID)
	case req.Shard < 0 || req.Shard >= MaxCRLShards:
		return nil, fmt.Errorf("%w: CRL shard %d out of range", ErrInvalidRequest, req.Shard)
	case req.Number <= 0:
		return nil, fmt.Errorf("%w: CRL number %d must be positive", ErrInvalidRequest, req.Number)
	case req.Validity < 0 || req.Validity > maxCRLValidity:
		return nil, fmt.Errorf("%w: CRL validity %v out of range 0-240h (BR §4.9.7)", ErrInvalidRequest, req.Validity)
	case req.Entries == nil:
		return nil, fmt.Errorf("%w: CRL request without entries", ErrInvalidRequest)
	}
	validity := req.Validity
	if validity == 0 {
		validity = DefaultCRLValidity
	}
	thisUpdate := a.clock().UTC().Truncate(time.Second)
	nextUpdate := thisUpdate.Add(validity - time.Second)

	entries, count, err := encodeCRLEntries(ctx, req.Entries, thisUpdate)
	if err != nil {
		return nil, err
	}
	tbs, err := tbsCertList(iss, req, entries, thisUpdate, nextUpdate, a.CRLURL(iss.id, req.Shard))
	// Large partitions hold tens of megabytes in each of entries, tbs and
	// the two signed copies; dropping each once copied bounds the peak.
	entries = nil
	if err != nil {
		return nil, err
	}
	lintSig, err := iss.lintAlg.sign(iss.lintSigner, tbs)
	if err != nil {
		return nil, err
	}
	lintDER, err := iss.lintAlg.signed(tbs, lintSig, nil)
	if err != nil {
		return nil, err
	}
	if err := lintCRL(lintDER, a.lints, a.dev); err != nil {
		return nil, err
	}
	lintDER = nil
	sig, err := iss.selfSigner.alg.sign(iss.signer, tbs)
	if err != nil {
		return nil, err
	}
	out, err := iss.selfSigner.alg.signed(tbs, sig, nil)
	if err != nil {
		return nil, fmt.Errorf("ca: encoding CRL: %w", err)
	}
	return &CRL{DER: out, Number: req.Number, ThisUpdate: thisUpdate, NextUpdate: nextUpdate, Count: count}, nil
}

// encodeCRLEntries returns the DER of the revokedCertificates elements
// (without the enclosing SEQUENCE) and their number.
func encodeCRLEntries(ctx context.Context, walk func(func(CRLEntry) error) error, thisUpdate time.Time) ([]byte, int, error) {
	var b cryptobyte.Builder
	count := 0
	var serial [serialLen + 1]byte
	err := walk(func(e CRLEntry) error {
		if count%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		n, err := serialBytes(serial[:], e.Serial)
		if err != nil {
			return err
		}
		if e.RevokedAt.After(thisUpdate) {
			// RFC 5280 §5.1.2.6: revocationDate is when the revocation
			// happened; never after the CRL's own time.
			return fmt.Errorf("ca: CRL entry %s revoked at %s, after the CRL's thisUpdate", e.Serial, e.RevokedAt.Format(time.RFC3339))
		}
		if reasonNames[e.Reason] == "" {
			return fmt.Errorf("ca: CRL entry %s has reason %d, not an RFC 5280 code", e.Serial, e.Reason)
		}
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(n) })
			addTime(b, e.RevokedAt)
			if e.Reason != ReasonUnspecified {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					addExtension(b, oidExtReasonCode, false, der(func(b *cryptobyte.Builder) {
						b.AddASN1Enum(int64(e.Reason))
					}))
				})
			}
		})
		count++
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("ca: CRL entries: %w", err)
	}
	out, err := b.Bytes()
	return out, count, err
}

// serialBytes decodes a hex serial into the minimal positive DER INTEGER
// content, using buf (serialLen+1 bytes) as storage.
func serialBytes(buf []byte, s string) ([]byte, error) {
	if len(s) == 0 || len(s) > 2*serialLen || len(s)%2 != 0 {
		return nil, fmt.Errorf("ca: CRL entry serial %q is not %d-octet hex", s, serialLen)
	}
	n, err := hex.Decode(buf[1:], []byte(s))
	if err != nil {
		return nil, fmt.Errorf("ca: CRL entry serial %q: %w", s, err)
	}
	i := 0
	for i < n-1 && buf[1+i] == 0 {
		i++
	}
	if i == n-1 && buf[1+i] == 0 {
		return nil, errors.New("ca: CRL entry serial is zero")
	}
	v := buf[1+i : 1+n]
	if v[0]&0x80 != 0 { // a positive INTEGER needs a leading zero octet
		buf[i] = 0
		v = buf[i : 1+n]
	}
	return v, nil
}

// tbsCertList encodes the TBSCertList (RFC 5280 §5.1.2).
func tbsCertList(iss *issuer, req CRLRequest, entries []byte, thisUpdate, nextUpdate time.Time, url string) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1) // v2
		iss.lintAlg.add(b)
		b.AddBytes(iss.cert.RawSubject)
		addTime(b, thisUpdate)
		addTime(b, nextUpdate)
		if len(entries) > 0 { // absent when empty (RFC 5280 §5.1.2.6)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(entries) })
		}
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addExtension(b, oidExtAuthorityKeyID, false, der(func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(iss.cert.SubjectKeyId)
						})
					})
				}))
				addExtension(b, oidExtCRLNumber, false, der(func(b *cryptobyte.Builder) {
					b.AddASN1Int64(req.Number)
				}))
				addExtension(b, oidExtIssuingDistribution, true, issuingDistributionPoint(url))
			})
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("ca: encoding CRL: %w", err)
	}
	return out, nil
}

// issuingDistributionPoint encodes the IDP extension value (RFC 5280
// §5.2.5) of a partitioned CRL of subscriber certificates: the
// partition's URL as distributionPoint fullName, onlyContainsUserCerts
// TRUE (BR §7.2.2.1).
func issuingDistributionPoint(url string) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { // distributionPoint
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { // fullName
					b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) { // URI
						b.AddBytes([]byte(url))
					})
				})
			})
			b.AddASN1(cbasn1.Tag(1).ContextSpecific(), func(b *cryptobyte.Builder) { // onlyContainsUserCerts
				b.AddUint8(0xff)
			})
		})
	})
}

// lintCRL runs zlint's CRL lints over a DER CRL.
func lintCRL(der []byte, reg lint.Registry, dev bool) error {
	crl, err := zx509.ParseRevocationList(der)
	if err != nil {
		return &LintError{Lints: []string{"zcrypto CRL parse: " + err.Error()}}
	}
	return lintFailures(zlint.LintRevocationListEx(crl, reg), dev)
}
