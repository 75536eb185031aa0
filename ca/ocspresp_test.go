package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/kakuin/kakuin/internal/linttest"
)

// issueLeaf issues one OV leaf and returns it parsed with its issuer.
func issueLeaf(t *testing.T, a *Authority, kind string) (*Issued, *x509.Certificate, *x509.Certificate) {
	t.Helper()
	got, err := issue(t, a, ovRequest(leafKey(t, kind).Public(), "www.example.com"))
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	leaf, err := x509.ParseCertificate(got.DER)
	if err != nil {
		t.Fatal(err)
	}
	issuer, _ := a.IssuerCertificate(IssuerOV)
	return got, leaf, issuer
}

// parseOCSP parses and verifies a response for leaf with x/crypto/ocsp,
// checking the CertID hash algorithm.
func parseOCSP(t *testing.T, der []byte, leaf, issuer *x509.Certificate, hash crypto.Hash) *xocsp.Response {
	t.Helper()
	r, err := xocsp.ParseResponseForCert(der, leaf, issuer)
	if err != nil {
		t.Fatalf("ParseResponseForCert: %v", err)
	}
	if r.IssuerHash != hash {
		t.Errorf("CertID hash: got %v, want %v", r.IssuerHash, hash)
	}
	return r
}

func TestSignOCSP(t *testing.T) {
	revokedAt := testNow.Add(-time.Hour).Truncate(time.Second)
	tests := []struct {
		name       string
		key        string
		entry      OCSPEntry
		wantStatus int
		wantReason int
	}{
		{"good p384", KeyECDSAP384, OCSPEntry{Status: OCSPGood}, xocsp.Good, 0},
		{"good rsa", KeyRSA2048, OCSPEntry{Status: OCSPGood}, xocsp.Good, 0},
		{"revoked keyCompromise", KeyECDSAP256, OCSPEntry{Status: OCSPRevoked, RevokedAt: revokedAt, Reason: ReasonKeyCompromise}, xocsp.Revoked, ReasonKeyCompromise},
		{"revoked unspecified", KeyECDSAP256, OCSPEntry{Status: OCSPRevoked, RevokedAt: revokedAt}, xocsp.Revoked, ReasonUnspecified},
		{"revoked superseded rsa", KeyRSA2048, OCSPEntry{Status: OCSPRevoked, RevokedAt: revokedAt, Reason: ReasonSuperseded}, xocsp.Revoked, ReasonSuperseded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store := loadCA(t, sharedCA(t, tt.key))
			issued, leaf, issuer := issueLeaf(t, a, "p256")
			e := tt.entry
			e.IssuerID, e.Serial = IssuerOV, issued.Serial
			resp, err := a.SignOCSP(context.Background(), e)
			if err != nil {
				t.Fatalf("SignOCSP: %v", err)
			}
			wantThis := testNow.Truncate(time.Minute)
			if !resp.ThisUpdate.Equal(wantThis) || !resp.NextUpdate.Equal(wantThis.Add(96*time.Hour-time.Second)) {
				t.Errorf("validity: got %v..%v, want %v + 96h inclusive", resp.ThisUpdate, resp.NextUpdate, wantThis)
			}
			for _, v := range []struct {
				der  []byte
				hash crypto.Hash
			}{{resp.SHA1, crypto.SHA1}, {resp.SHA256, crypto.SHA256}} {
				r := parseOCSP(t, v.der, leaf, issuer, v.hash)
				linttest.OCSPResponse(t, v.der, issuer)
				if r.Status != tt.wantStatus || r.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
					t.Errorf("%v: status %d serial %x, want %d %x", v.hash, r.Status, r.SerialNumber, tt.wantStatus, leaf.SerialNumber)
				}
				if !r.ThisUpdate.Equal(wantThis) || !r.ProducedAt.Equal(wantThis) || !r.NextUpdate.Equal(resp.NextUpdate) {
					t.Errorf("%v: this %v produced %v next %v, want %v %v %v", v.hash, r.ThisUpdate, r.ProducedAt, r.NextUpdate,
						wantThis, wantThis, resp.NextUpdate)
				}
				if tt.wantStatus == xocsp.Revoked && (!r.RevokedAt.Equal(revokedAt) || r.RevocationReason != tt.wantReason) {
					t.Errorf("%v: revoked %v reason %d, want %v %d", v.hash, r.RevokedAt, r.RevocationReason, revokedAt, tt.wantReason)
				}
				if r.Certificate == nil || !bytes.Equal(r.Certificate.Raw, store.responders[0].DER) {
					t.Errorf("%v: embedded certificate is not the recorded delegated responder", v.hash)
				}
				if len(r.Extensions) != 0 {
					t.Errorf("%v: response extensions %v, want none (no nonce)", v.hash, r.Extensions)
				}
			}
		})
	}
}

func TestSignOCSPRevokedReasonOmittedWhenUnspecified(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP256))
	issued, _, _ := issueLeaf(t, a, "p256")
	at := testNow.Add(-time.Minute)
	unspec, err := a.SignOCSP(context.Background(), OCSPEntry{IssuerID: IssuerOV, Serial: issued.Serial, Status: OCSPRevoked, RevokedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := a.SignOCSP(context.Background(), OCSPEntry{IssuerID: IssuerOV, Serial: issued.Serial, Status: OCSPRevoked, RevokedAt: at, Reason: ReasonKeyCompromise})
	if err != nil {
		t.Fatal(err)
	}
	// [0] EXPLICIT CRLReason: a0 03 0a 01 01.
	if bytes.Contains(unspec.SHA1, []byte{0xa0, 0x03, 0x0a, 0x01}) || !bytes.Contains(kc.SHA1, []byte{0xa0, 0x03, 0x0a, 0x01, 0x01}) {
		t.Errorf("revocationReason: want it absent for unspecified and present for keyCompromise")
	}
}

func TestOCSPResponderCertificate(t *testing.T) {
	for _, key := range []string{KeyECDSAP384, KeyRSA2048} {
		t.Run(key, func(t *testing.T) {
			a, store := loadCA(t, sharedCA(t, key))
			issueLeaf(t, a, "p256")
			if len(store.responders) != 1 {
				t.Fatalf("responders: got %d, want 1", len(store.responders))
			}
			rc := store.responders[0]
			cert, err := x509.ParseCertificate(rc.DER)
			if err != nil {
				t.Fatal(err)
			}
			issuer, _ := a.IssuerCertificate(IssuerOV)
			if err := cert.CheckSignatureFrom(issuer); err != nil {
				t.Errorf("signature: %v", err)
			}
			if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}) || len(cert.UnknownExtKeyUsage) != 0 {
				t.Errorf("EKU: got %v %v, want OCSPSigning only", cert.ExtKeyUsage, cert.UnknownExtKeyUsage)
			}
			if cert.KeyUsage != x509.KeyUsageDigitalSignature {
				t.Errorf("KU: got %v, want digitalSignature", cert.KeyUsage)
			}
			var noCheck, kuCritical bool
			for _, e := range cert.Extensions {
				switch {
				case e.Id.Equal(oidOCSPNoCheck):
					noCheck = bytes.Equal(e.Value, []byte{0x05, 0x00}) && !e.Critical
				case e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 15}):
					kuCritical = e.Critical
				}
			}
			if !noCheck || !kuCritical {
				t.Errorf("id-pkix-ocsp-nocheck 0500: %v, KU critical: %v; want both", noCheck, kuCritical)
			}
			if len(cert.Policies) != 0 || len(cert.CRLDistributionPoints) != 0 || len(cert.OCSPServer) != 0 || cert.IsCA {
				t.Errorf("policies %v CRL DP %v OCSP %v CA %v: want none", cert.Policies, cert.CRLDistributionPoints, cert.OCSPServer, cert.IsCA)
			}
			if got := cert.NotAfter.Sub(cert.NotBefore) + time.Second; got != DefaultResponderValidity {
				t.Errorf("validity: got %v, want %v", got, DefaultResponderValidity)
			}
			if !bytes.Equal(cert.AuthorityKeyId, issuer.SubjectKeyId) {
				t.Errorf("AKI: got %x, want %x", cert.AuthorityKeyId, issuer.SubjectKeyId)
			}
			if rc.IssuerID != IssuerOV || rc.Serial != SerialHex(cert.SerialNumber) {
				t.Errorf("recorded: %+v", rc)
			}
			// memStore linted rc.DER (linttest.EndEntity) when it was recorded.
		})
	}
}

func TestOCSPResponderRotates(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP256)
	now := testNow
	store := newMemStore(t)
	a, err := Load(Options{Dir: dir, Store: store, BaseURL: testBaseURL, CRLShards: 1, OCSPURL: testBaseURL + "/ocsp",
		Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	sign := func() *xocsp.Response {
		t.Helper()
		issued, leaf, issuer := issueLeaf(t, a, "p256")
		r, err := a.SignOCSP(context.Background(), OCSPEntry{IssuerID: IssuerOV, Serial: issued.Serial})
		if err != nil {
			t.Fatal(err)
		}
		return parseOCSP(t, r.SHA1, leaf, issuer, crypto.SHA1)
	}
	first := sign()
	now = now.Add(DefaultResponderValidity - DefaultOCSPValidity - time.Hour) // responses still fit
	if again := sign(); !bytes.Equal(again.Certificate.Raw, first.Certificate.Raw) {
		t.Errorf("responder rotated while it still outlives the responses")
	}
	now = now.Add(2 * time.Hour) // a response would outlive the responder
	rotated := sign()
	if bytes.Equal(rotated.Certificate.Raw, first.Certificate.Raw) || len(store.responders) != 2 {
		t.Fatalf("responder not rotated: %d recorded", len(store.responders))
	}
	if rotated.NextUpdate.After(rotated.Certificate.NotAfter) {
		t.Errorf("response nextUpdate %v after its responder's notAfter %v", rotated.NextUpdate, rotated.Certificate.NotAfter)
	}
}

func TestSignOCSPWithIssuer(t *testing.T) {
	a, store := loadCAWith(t, sharedCA(t, KeyECDSAP384), func(o *Options) { o.OCSP.SignWithIssuer = true })
	issued, leaf, issuer := issueLeaf(t, a, "p256")
	r := parseOCSP(t, issued.OCSP.SHA1, leaf, issuer, crypto.SHA1)
	if r.Certificate != nil || len(store.responders) != 0 {
		t.Errorf("issuer-signed response embeds %v, %d responders recorded; want none", r.Certificate, len(store.responders))
	}
	if r.Status != xocsp.Good {
		t.Errorf("status: got %d, want good", r.Status)
	}
}

func TestSignOCSPUnknown(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP256))
	issuer, _ := a.IssuerCertificate(IssuerOV)
	serial := big.NewInt(0x1234567)
	for _, hash := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		der, this, next, err := a.SignOCSPUnknown(context.Background(), IssuerOV, serial, hash, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r, err := xocsp.ParseResponse(der, issuer)
		if err != nil {
			t.Fatal(err)
		}
		linttest.OCSPResponse(t, der, issuer)
		if r.Status != xocsp.Unknown || r.SerialNumber.Cmp(serial) != 0 || r.IssuerHash != hash {
			t.Errorf("%v: got status %d serial %v hash %v, want unknown %v", hash, r.Status, r.SerialNumber, r.IssuerHash, serial)
		}
		if !r.ThisUpdate.Equal(this) || !r.NextUpdate.Equal(next) || next.Sub(this) != time.Hour-time.Second {
			t.Errorf("%v: validity %v..%v", hash, this, next)
		}
	}
	if _, _, _, err := a.SignOCSPUnknown(context.Background(), IssuerOV, serial, crypto.SHA512, time.Hour); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("SHA-512 CertID: got %v, want ErrInvalidRequest", err)
	}
}

func TestSignOCSPBadInput(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP256))
	tests := []struct {
		name  string
		entry OCSPEntry
	}{
		{"unknown issuer", OCSPEntry{IssuerID: "dv", Serial: "01"}},
		{"bad serial", OCSPEntry{IssuerID: IssuerOV, Serial: "xyz"}},
		{"zero serial", OCSPEntry{IssuerID: IssuerOV, Serial: "00"}},
		{"revoked without time", OCSPEntry{IssuerID: IssuerOV, Serial: "01", Status: OCSPRevoked}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := a.SignOCSP(context.Background(), tt.entry); err == nil {
				t.Errorf("got %v, want an error", r)
			}
		})
	}
}

func TestOCSPOptionsRange(t *testing.T) {
	tests := []struct {
		name string
		opts OCSPOptions
		ok   bool
	}{
		{"defaults", OCSPOptions{}, true},
		{"8h", OCSPOptions{Validity: 8 * time.Hour}, true},
		{"10 days", OCSPOptions{Validity: 240 * time.Hour}, true},
		{"under 8h", OCSPOptions{Validity: 7 * time.Hour}, false},
		{"over 10 days", OCSPOptions{Validity: 241 * time.Hour}, false},
		{"responder shorter than two responses", OCSPOptions{Validity: 96 * time.Hour, ResponderValidity: 100 * time.Hour}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Options{Dir: sharedCA(t, KeyECDSAP256), Store: newMemStore(t), BaseURL: testBaseURL, Clock: testClock,
				CRLShards: 1, OCSPURL: testBaseURL + "/ocsp", OCSP: tt.opts})
			if (err == nil) != tt.ok {
				t.Errorf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
