package ca

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Issue signs one end-entity certificate (BR §7.1.2.7). It validates the
// request and the public key, builds the certificate from the profile and
// the vetted subject, reserves a fresh serial in the Store, signs the
// certificate with the throwaway lint key and lints it, and only then signs
// it with the issuing CA's key, checking that the real TBSCertificate is
// the linted one byte for byte.
//
// Errors: ErrInvalidRequest (wrapped) for a bad request, *KeyError for an
// unacceptable key, *LintError when linting fails (the serial stays
// reserved), or a store or signing error.
func (a *Authority) Issue(ctx context.Context, req Request) (*Issued, error) {
	p, ok := profiles[req.Profile]
	if !ok {
		return nil, fmt.Errorf("%w: unknown profile %q; want %q or %q", ErrInvalidRequest, req.Profile, ProfileOV, ProfileEV)
	}
	iss := a.issuers[p.issuerID]
	if err := checkNames(req.Names); err != nil {
		return nil, err
	}
	if err := CheckPublicKey(req.PublicKey); err != nil {
		return nil, err
	}
	notBefore := a.clock().UTC().Truncate(time.Second)
	tmpl, err := a.leafTemplate(req, iss, notBefore)
	if err != nil {
		return nil, err
	}

	serial, err := reserveSerial(ctx, a.store, iss.id, notBefore)
	if err != nil {
		return nil, err
	}
	serialHex := SerialHex(serial)
	tmpl.SerialNumber = serial
	shard := 0
	if a.crlShards > 0 {
		shard = shardOf(serial, a.crlShards)
		tmpl.CRLDistributionPoints = []string{a.CRLURL(iss.id, shard)}
	}

	lintDER, err := x509.CreateCertificate(rand.Reader, tmpl, iss.lintParent, req.PublicKey, iss.lintSigner)
	if err != nil {
		return nil, fmt.Errorf("ca: signing lint certificate: %w", err)
	}
	if err := lintCertificate(lintDER, a.lints, a.dev); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, iss.cert, req.PublicKey, iss.signer)
	if err != nil {
		return nil, fmt.Errorf("ca: signing certificate with %s: %w", iss.id, err)
	}
	if err := sameTBS(lintDER, der); err != nil {
		return nil, err
	}

	spki, err := x509.MarshalPKIXPublicKey(req.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("ca: encoding public key: %w", err)
	}
	var resp *OCSPResponse
	if a.ocspURL != "" {
		// The first response exists before the certificate is returned,
		// so a relying party never finds it without status.
		if resp, err = a.SignOCSP(ctx, OCSPEntry{IssuerID: iss.id, Serial: serialHex, Status: OCSPGood}); err != nil {
			return nil, err
		}
	}
	return &Issued{
		Serial:    serialHex,
		IssuerID:  iss.id,
		DER:       der,
		ChainPEM:  bytes.Clone(iss.pem),
		NotBefore: tmpl.NotBefore,
		NotAfter:  tmpl.NotAfter,
		KeyHash:   PublicKeyHash(spki),
		CRLShard:  shard,
		OCSP:      resp,
	}, nil
}

// sameTBS checks that two DER certificates have identical TBSCertificates,
// i.e. that what was linted is exactly what was signed.
func sameTBS(linted, signed []byte) error {
	a, err := tbsOf(linted)
	if err != nil {
		return err
	}
	b, err := tbsOf(signed)
	if err != nil {
		return err
	}
	if !bytes.Equal(a, b) {
		return errors.New("ca: signed TBSCertificate differs from the linted one; certificate discarded")
	}
	return nil
}

// tbsOf returns the DER TBSCertificate of a DER certificate (RFC 5280 §4.1).
func tbsOf(der []byte) ([]byte, error) {
	in := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !in.Empty() || !cert.ReadASN1Element(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("ca: malformed certificate DER")
	}
	return tbs, nil
}
