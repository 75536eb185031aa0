// Package lintca wraps the real CA so that every certificate, OCSP
// response and CRL it signs in a test is linted (internal/linttest) and
// reported to that test. Package ca's own tests cannot use it (it imports
// ca); they lint through their issue helper instead.
package lintca

import (
	"context"
	"crypto"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/linttest"
)

// CA is the real ca.Authority with every leaf, OCSP response and CRL it
// signs linted. It implements acme.Issuer, ocsp.Signer and
// ocsp.UnknownSigner.
type CA struct {
	*ca.Authority
	T testing.TB
}

// Issue issues and lints the leaf (a subscriber certificate) and its first
// OCSP response.
func (l CA) Issue(ctx context.Context, req ca.Request) (*ca.Issued, error) {
	got, err := l.Authority.Issue(ctx, req)
	if err != nil {
		return got, err
	}
	linttest.Certificate(l.T, got.DER, linttest.Subscriber)
	l.lintOCSP(got.IssuerID, got.OCSP)
	return got, nil
}

// SignOCSP signs and lints both responses.
func (l CA) SignOCSP(ctx context.Context, e ca.OCSPEntry) (*ca.OCSPResponse, error) {
	got, err := l.Authority.SignOCSP(ctx, e)
	if err == nil {
		l.lintOCSP(e.IssuerID, got)
	}
	return got, err
}

// SignOCSPUnknown signs and lints an "unknown" response.
func (l CA) SignOCSPUnknown(ctx context.Context, issuerID string, serial *big.Int, hash crypto.Hash, validity time.Duration) ([]byte, time.Time, time.Time, error) {
	der, this, next, err := l.Authority.SignOCSPUnknown(ctx, issuerID, serial, hash, validity)
	if err == nil {
		l.lintOCSP(issuerID, &ca.OCSPResponse{SHA1: der})
	}
	return der, this, next, err
}

// SignCRL signs and lints a CRL partition.
func (l CA) SignCRL(ctx context.Context, req ca.CRLRequest) (*ca.CRL, error) {
	got, err := l.Authority.SignCRL(ctx, req)
	if err == nil {
		linttest.RevocationList(l.T, got.DER)
	}
	return got, err
}

// lintOCSP lints the responses of r (nil when OCSP is off), signed for
// the issuer issuerID.
func (l CA) lintOCSP(issuerID string, r *ca.OCSPResponse) {
	if r == nil {
		return
	}
	issuer, ok := l.Authority.IssuerCertificate(issuerID)
	if !ok {
		l.T.Errorf("OCSP response of unknown issuer %q", issuerID)
		return
	}
	for _, der := range [][]byte{r.SHA1, r.SHA256} {
		if der != nil {
			linttest.OCSPResponse(l.T, der, issuer)
		}
	}
}

// Store is the CA's store, linting each delegated OCSP responder
// certificate as it is recorded.
type Store struct {
	ca.Store
	T testing.TB
}

// RecordResponderCertificate lints c and records it.
func (s Store) RecordResponderCertificate(ctx context.Context, c ca.ResponderCertificate) error {
	linttest.Certificate(s.T, c.DER, linttest.EndEntity)
	return s.Store.RecordResponderCertificate(ctx, c)
}

// Dir lints the CA certificates ca.Init wrote into dir.
func Dir(t testing.TB, dir string) {
	t.Helper()
	for _, id := range []string{ca.IssuerRoot, ca.IssuerOV, ca.IssuerEV} {
		data, err := os.ReadFile(filepath.Join(dir, id+".pem"))
		if err != nil {
			t.Fatal(err)
		}
		linttest.PEM(t, data)
	}
}
