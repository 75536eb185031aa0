package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers for the structures this package encodes by hand.
var (
	oidSHA1                   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256                 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA256        = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384        = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidSHA256WithRSA          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidExtAuthorityKeyID      = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtCRLNumber           = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidExtReasonCode          = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidExtIssuingDistribution = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidOCSPBasic              = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidOCSPNoCheck            = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
)

// sigAlg is how a key signs a hand-encoded structure: its DER
// AlgorithmIdentifier and the digest it signs.
type sigAlg struct {
	oid  asn1.ObjectIdentifier
	null bool // RSA identifiers carry NULL parameters (RFC 4055 §5)
	hash crypto.Hash
}

// sigAlgFor returns the signature algorithm kakuin uses for a key type,
// the same as x509.CreateCertificate picks (and BR §7.1.3.2 allows, byte
// for byte).
func sigAlgFor(alg x509.SignatureAlgorithm) (sigAlg, error) {
	switch alg {
	case x509.ECDSAWithSHA256:
		return sigAlg{oid: oidECDSAWithSHA256, hash: crypto.SHA256}, nil
	case x509.ECDSAWithSHA384:
		return sigAlg{oid: oidECDSAWithSHA384, hash: crypto.SHA384}, nil
	case x509.SHA256WithRSA:
		return sigAlg{oid: oidSHA256WithRSA, null: true, hash: crypto.SHA256}, nil
	}
	return sigAlg{}, fmt.Errorf("ca: no hand-encoded signature algorithm for %v", alg)
}

// add appends the AlgorithmIdentifier.
func (s sigAlg) add(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(s.oid)
		if s.null {
			b.AddASN1NULL()
		}
	})
}

// sign signs tbs (a DER structure) with key.
func (s sigAlg) sign(key crypto.Signer, tbs []byte) ([]byte, error) {
	h := s.hash.New()
	h.Write(tbs)
	// A crypto.Hash as SignerOpts: ECDSA, or RSA PKCS #1 v1.5.
	sig, err := key.Sign(rand.Reader, h.Sum(nil), s.hash)
	if err != nil {
		return nil, fmt.Errorf("ca: signing: %w", err)
	}
	return sig, nil
}

// signed returns SEQUENCE { tbs, algorithm, BIT STRING signature }, the
// shape of a Certificate, CertificateList and BasicOCSPResponse (RFC 5280
// §4.1, §5.1; RFC 6960 §4.2.1), followed inside the SEQUENCE by extra
// (e.g. the OCSP certs field) when extra is not nil.
func (s sigAlg) signed(tbs, sig []byte, extra func(*cryptobyte.Builder)) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		s.add(b)
		b.AddASN1BitString(sig)
		if extra != nil {
			extra(b)
		}
	})
	return b.Bytes()
}

// addTime appends t as RFC 5280 §4.1.2.5 wants it: UTCTime through 2049,
// GeneralizedTime from 2050 on, to the second, in UTC.
func addTime(b *cryptobyte.Builder, t time.Time) {
	t = t.UTC().Truncate(time.Second)
	if t.Year() < 2050 {
		b.AddASN1UTCTime(t)
		return
	}
	b.AddASN1GeneralizedTime(t)
}

// addGeneralizedTime appends t as a GeneralizedTime to the second (RFC 6960
// §4.2.1 uses GeneralizedTime throughout).
func addGeneralizedTime(b *cryptobyte.Builder, t time.Time) {
	b.AddASN1GeneralizedTime(t.UTC().Truncate(time.Second))
}

// addExtension appends an Extension (RFC 5280 §4.1) whose extnValue is
// the DER value.
func addExtension(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, critical bool, value []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if critical {
			b.AddASN1Boolean(true)
		}
		b.AddASN1OctetString(value)
	})
}

// der builds a DER value with f, for use as an extension value.
func der(f func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	f(&b)
	return b.BytesOrPanic()
}

// publicKeyBits returns the subjectPublicKey BIT STRING's bytes of a DER
// SubjectPublicKeyInfo, what OCSP key hashes cover (RFC 6960 §4.1.1).
func publicKeyBits(spki []byte) ([]byte, error) {
	in := cryptobyte.String(spki)
	var seq, alg cryptobyte.String
	var bits asn1.BitString
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!seq.ReadASN1BitString(&bits) {
		return nil, fmt.Errorf("ca: malformed SubjectPublicKeyInfo")
	}
	return bits.RightAlign(), nil
}

// keyHashSHA1 is the SHA-1 hash of a certificate's public key bits (RFC
// 6960 §4.1.1 issuerKeyHash, §4.2.1 ResponderID byKey).
func keyHashSHA1(cert *x509.Certificate) ([]byte, error) {
	bits, err := publicKeyBits(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(bits)
	return sum[:], nil
}

// SerialFromHex parses a serial as SerialHex formats it.
func SerialFromHex(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() <= 0 || len(s) > 2*serialLen {
		return nil, fmt.Errorf("ca: %q is not a serial number in hex", s)
	}
	return n, nil
}

// PublicKeyHash is the hex SHA-256 of a DER SubjectPublicKeyInfo: how
// kakuin identifies a key (Issued.KeyHash, blocked keys).
func PublicKeyHash(spki []byte) string {
	sum := sha256.Sum256(spki)
	return hex.EncodeToString(sum[:])
}
