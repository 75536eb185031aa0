package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"sync"
	"time"
)

// Delegated OCSP responder certificate lifetimes.
const (
	// DefaultOCSPValidity is an OCSP response's validity interval when
	// OCSPOptions.Validity is zero (BR §4.9.10: 8 hours to 10 days).
	DefaultOCSPValidity = 96 * time.Hour
	// DefaultResponderValidity is a delegated responder certificate's
	// lifetime when OCSPOptions.ResponderValidity is zero.
	DefaultResponderValidity = 30 * 24 * time.Hour
	minOCSPValidity          = 8 * time.Hour
	maxOCSPValidity          = 10 * 24 * time.Hour
)

// OCSPOptions configures how OCSP responses are signed.
type OCSPOptions struct {
	// Validity is nextUpdate - thisUpdate of a response, counted
	// inclusively: 8h to 10 days (BR §4.9.10). Default DefaultOCSPValidity.
	Validity time.Duration
	// SignWithIssuer signs responses with the issuing CA's own key instead
	// of a delegated OCSP responder certificate (RFC 6960 §4.2.2.2).
	SignWithIssuer bool
	// ResponderValidity is the lifetime of a delegated responder
	// certificate, at least twice Validity. Default DefaultResponderValidity.
	ResponderValidity time.Duration
}

// ResponderCertificate is a delegated OCSP responder certificate the
// Authority issued; the Store records it (and audits the issuance).
type ResponderCertificate struct {
	Serial    string
	IssuerID  string
	DER       []byte
	NotBefore time.Time
	NotAfter  time.Time
}

// ocspSigner signs OCSP responses for one issuer.
type ocspSigner struct {
	// cert is the delegated responder certificate, included in responses;
	// nil when the issuer signs itself.
	cert    *x509.Certificate
	signer  crypto.Signer
	alg     sigAlg
	keyHash []byte // SHA-1 of the signer's public key bits: the ResponderID
}

// responderSlot holds an issuer's current delegated responder.
type responderSlot struct {
	mu  sync.Mutex
	cur *ocspSigner
}

// ocspSigner returns the signer for responses of iss valid until
// nextUpdate: the issuer itself, or a delegated responder whose
// certificate outlives nextUpdate, issued now if the current one does not.
// The responder's key lives only in this process's memory: each process
// that signs gets its own responder certificate, and none is ever written
// to disk.
func (a *Authority) ocspSigner(ctx context.Context, iss *issuer, nextUpdate time.Time) (*ocspSigner, error) {
	if a.ocsp.SignWithIssuer {
		return iss.selfSigner, nil
	}
	iss.responder.mu.Lock()
	defer iss.responder.mu.Unlock()
	if cur := iss.responder.cur; cur != nil && !cur.cert.NotAfter.Before(nextUpdate) {
		return cur, nil
	}
	s, err := a.issueResponder(ctx, iss)
	if err != nil {
		return nil, err
	}
	if s.cert.NotAfter.Before(nextUpdate) {
		return nil, fmt.Errorf("ca: issuing CA %s expires %s, before OCSP responses signed now would", iss.id,
			iss.cert.NotAfter.Format(time.RFC3339))
	}
	iss.responder.cur = s
	return s, nil
}

// issueResponder issues a delegated OCSP responder certificate for iss
// (BR §7.1.2.8): EKU id-kp-OCSPSigning only, KU digitalSignature
// (critical), id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), AKI, no
// policies, CRL DP or AIA, with a fresh key of the issuer's key type. It is
// linted before the real signature like every certificate, and recorded in
// the Store.
func (a *Authority) issueResponder(ctx context.Context, iss *issuer) (*ocspSigner, error) {
	key, err := generateKey(keyTypeOf(iss.cert.PublicKey))
	if err != nil {
		return nil, err
	}
	notBefore := a.clock().UTC().Truncate(time.Second)
	notAfter := notBefore.Add(a.ocsp.ResponderValidity - time.Second)
	if notAfter.After(iss.cert.NotAfter) {
		notAfter = iss.cert.NotAfter
	}
	subject, err := responderSubject(iss.cert.Subject)
	if err != nil {
		return nil, err
	}
	serial, err := reserveSerial(ctx, a.store, iss.id, notBefore)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		SignatureAlgorithm: iss.sigAlg,
		RawSubject:         subject,
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		ExtraExtensions: []pkix.Extension{
			// RFC 6960 §4.2.2.2.1: clients need not check this
			// certificate's revocation; its short life bounds the risk.
			{Id: oidOCSPNoCheck, Value: []byte{0x05, 0x00}},
		},
	}
	lintDER, err := x509.CreateCertificate(rand.Reader, tmpl, iss.lintParent, key.Public(), iss.lintSigner)
	if err != nil {
		return nil, fmt.Errorf("ca: signing lint OCSP responder certificate: %w", err)
	}
	if err := lintCertificate(lintDER, a.lints, a.dev); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, iss.cert, key.Public(), iss.signer)
	if err != nil {
		return nil, fmt.Errorf("ca: signing OCSP responder certificate with %s: %w", iss.id, err)
	}
	if err := sameTBS(lintDER, der); err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parsing OCSP responder certificate: %w", err)
	}
	rc := ResponderCertificate{Serial: SerialHex(serial), IssuerID: iss.id, DER: der, NotBefore: notBefore, NotAfter: cert.NotAfter}
	if err := a.store.RecordResponderCertificate(ctx, rc); err != nil {
		return nil, fmt.Errorf("ca: recording OCSP responder certificate: %w", err)
	}
	keyHash, err := keyHashSHA1(cert)
	if err != nil {
		return nil, err
	}
	alg, err := sigAlgFor(signatureAlgorithm(key.Public()))
	if err != nil {
		return nil, err
	}
	return &ocspSigner{cert: cert, signer: key, alg: alg, keyHash: keyHash}, nil
}

// responderSubject is C, O from the issuing CA and CN "<issuer CN> OCSP
// Responder".
func responderSubject(issuer pkix.Name) ([]byte, error) {
	if len(issuer.Country) != 1 || len(issuer.Organization) != 1 {
		return nil, fmt.Errorf("ca: issuing CA subject needs exactly one C and one O for its OCSP responder")
	}
	cn := issuer.CommonName + " OCSP Responder"
	// ub-common-name counts characters (RFC 5280 Appendix A): cut on a
	// character boundary, never inside a multi-byte one.
	if r := []rune(cn); len(r) > maxCommonNameLen {
		cn = string(r[:maxCommonNameLen])
	}
	return rawName(
		country(issuer.Country[0]),
		utf8Attr(oidOrganization, issuer.Organization[0]),
		utf8Attr(oidCommonName, cn),
	)
}
