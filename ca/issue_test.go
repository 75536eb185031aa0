package ca

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

func TestIssueLeafProfile(t *testing.T) {
	tests := []struct {
		hierarchy string
		leaf      string
		wantAlg   x509.SignatureAlgorithm
	}{
		{KeyECDSAP384, "p256", x509.ECDSAWithSHA384},
		{KeyECDSAP384, "p384", x509.ECDSAWithSHA384},
		{KeyECDSAP384, "rsa2048", x509.ECDSAWithSHA384},
		{KeyRSA2048, "p256", x509.SHA256WithRSA},
		{KeyRSA2048, "rsa2048", x509.SHA256WithRSA},
	}
	for _, tt := range tests {
		t.Run(tt.hierarchy+"/"+tt.leaf, func(t *testing.T) {
			dir := sharedCA(t, tt.hierarchy)
			a, store := loadCA(t, dir)
			key := leafKey(t, tt.leaf)
			names := []string{"www.example.com", "example.com", "shop.example.co.jp"}
			got, err := issue(t, a, ovRequest(key.Public(), names...))
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			cert, err := x509.ParseCertificate(got.DER)
			if err != nil {
				t.Fatal(err)
			}
			ov, _ := a.IssuerCertificate(IssuerOV)
			checkLeaf(t, cert, ov, leafWant{issuerID: IssuerOV, policies: []string{oidPolicyOV}, subject: wantOVSubject(names[0]),
				names: names, pub: key.Public(), sigAlg: tt.wantAlg, now: testNow, days: 200, ocsp: true, crlShard: got.CRLShard})

			if got.IssuerID != IssuerOV {
				t.Errorf("IssuerID: got %q, want %q", got.IssuerID, IssuerOV)
			}
			wantChain, _ := os.ReadFile(filepath.Join(dir, "ov.pem"))
			if !bytes.Equal(got.ChainPEM, wantChain) {
				t.Errorf("ChainPEM: got %q, want ov.pem", got.ChainPEM)
			}
			sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
			if want := hex.EncodeToString(sum[:]); got.KeyHash != want {
				t.Errorf("KeyHash: got %s, want %s", got.KeyHash, want)
			}
			if !got.NotBefore.Equal(cert.NotBefore) || !got.NotAfter.Equal(cert.NotAfter) {
				t.Errorf("Issued validity: got %v..%v, want %v..%v", got.NotBefore, got.NotAfter, cert.NotBefore, cert.NotAfter)
			}
			if want := SerialHex(cert.SerialNumber); got.Serial != want {
				t.Errorf("Serial: got %s, want %s", got.Serial, want)
			}
			// The leaf's serial, and the OCSP responder certificate's
			// that signed its first OCSP response.
			if store.serials[got.Serial] != IssuerOV || store.reserved() != 2 || len(store.responders) != 1 {
				t.Errorf("store: got %v and responders %v, want %s and one responder reserved for ov",
					store.serials, store.responders, got.Serial)
			}
			if want := shardOf(cert.SerialNumber, testCRLShards); got.CRLShard != want {
				t.Errorf("CRL shard: got %d, want %d (serial mod %d)", got.CRLShard, want, testCRLShards)
			}
			if got.OCSP == nil {
				t.Errorf("OCSP: got none, want the first response")
			}

			roots := x509.NewCertPool()
			roots.AddCert(a.root)
			inter := x509.NewCertPool()
			inter.AddCert(ov)
			for _, name := range names {
				if _, err := cert.Verify(x509.VerifyOptions{
					DNSName: name, Roots: roots, Intermediates: inter, CurrentTime: testNow,
					KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
				}); err != nil {
					t.Errorf("Verify(%s): %v", name, err)
				}
			}
		})
	}
}

func TestIssueProfilesUseTheirIssuer(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP384))
	for _, p := range issuerProfiles {
		t.Run(p, func(t *testing.T) {
			iss := a.issuers[profiles[p].issuerID]
			req := ovRequest(leafKey(t, "p256").Public(), "www.example.com")
			req.Profile = p
			req.Subject.BusinessCategory, req.Subject.JurisdictionCountry, req.Subject.SerialNumber = BusinessCategoryPrivate, "JP", "7000012050002"
			tmpl, err := a.leafTemplate(req, iss, testNow.Truncate(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			tmpl.SerialNumber = big.NewInt(1)
			der, err := x509.CreateCertificate(io.Reader(nil), tmpl, iss.lintParent, req.PublicKey, iss.lintSigner)
			if err != nil {
				t.Fatal(err)
			}
			cert, _ := x509.ParseCertificate(der)
			want := map[string]string{ProfileOV: "2.23.140.1.2.2", ProfileEV: "2.23.140.1.1"}[p]
			if len(cert.Policies) != 1 || cert.Policies[0].String() != want {
				t.Errorf("policies: got %v, want [%s]", cert.Policies, want)
			}
			if got, want := cert.IssuingCertificateURL, []string{testBaseURL + "/ca/" + p + ".der"}; !slices.Equal(got, want) {
				t.Errorf("AIA: got %v, want %v", got, want)
			}
			real, _ := a.IssuerCertificate(p)
			if !bytes.Equal(cert.RawIssuer, real.RawSubject) || !bytes.Equal(cert.AuthorityKeyId, real.SubjectKeyId) {
				t.Errorf("issuer/AKI: got %v/%x, want %v/%x", cert.Issuer, cert.AuthorityKeyId, real.Subject, real.SubjectKeyId)
			}
		})
	}
}

func TestIssueEVNeedsEVSubject(t *testing.T) {
	// Without the EV subject fields an EV request is refused before any
	// serial is reserved.
	a, store := loadCA(t, sharedCA(t, KeyECDSAP384))
	req := ovRequest(leafKey(t, "p256").Public(), "www.example.com")
	req.Profile = ProfileEV
	_, err := issue(t, a, req)
	if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "business category") {
		t.Fatalf("got %v, want ErrInvalidRequest naming the business category", err)
	}
	if store.reserved() != 0 {
		t.Errorf("reserved serials: got %d, want 0", store.reserved())
	}
}

// TestIssueEV issues an EV certificate with the EV subject: it passes zlint
// (lint before sign), comes from the EV issuing CA with the EV policy
// only, and carries businessCategory, jurisdictionCountryName and
// serialNumber (PrintableString) ahead of the BR attributes.
func TestIssueEV(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP384))
	for _, kind := range []string{"p256", "rsa2048"} {
		t.Run(kind, func(t *testing.T) {
			req := ovRequest(leafKey(t, kind).Public(), "www.example.com", "example.com")
			req.Profile = ProfileEV
			req.Subject.BusinessCategory = BusinessCategoryPrivate
			req.Subject.JurisdictionCountry = "JP"
			req.Subject.SerialNumber = "7000012050002"
			issued, err := issue(t, a, req)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			cert, err := x509.ParseCertificate(issued.DER)
			if err != nil {
				t.Fatal(err)
			}
			if issued.IssuerID != IssuerEV || len(cert.Policies) != 1 || cert.Policies[0].String() != "2.23.140.1.1" {
				t.Errorf("issuer %s, policies %v; want the EV CA and 2.23.140.1.1 only", issued.IssuerID, cert.Policies)
			}
			var rdns pkix.RDNSequence
			if _, err := asn1.Unmarshal(cert.RawSubject, &rdns); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rdn := range rdns {
				got = append(got, rdn[0].Type.String())
			}
			want := []string{"2.5.4.15", "1.3.6.1.4.1.311.60.2.1.3", "2.5.4.5", "2.5.4.6", "2.5.4.8", "2.5.4.7", "2.5.4.10", "2.5.4.3"}
			if !slices.Equal(got, want) {
				t.Errorf("subject attributes: got %v, want %v", got, want)
			}
			if cert.Subject.SerialNumber != "7000012050002" {
				t.Errorf("serialNumber: got %q", cert.Subject.SerialNumber)
			}
		})
	}
}

func TestIssueOCSPURLWithoutCRL(t *testing.T) {
	store := newMemStore(t)
	a, err := Load(Options{Dir: sharedCA(t, KeyECDSAP384), Store: store, BaseURL: testBaseURL + "/",
		Clock: testClock, OCSPURL: "http://ocsp.example.com", Validity: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	got, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	cert, _ := x509.ParseCertificate(got.DER)
	if !slices.Equal(cert.OCSPServer, []string{"http://ocsp.example.com"}) {
		t.Errorf("OCSP: got %v, want [http://ocsp.example.com]", cert.OCSPServer)
	}
	if len(cert.CRLDistributionPoints) != 0 {
		t.Errorf("CRL DP: got %v, want none", cert.CRLDistributionPoints)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore) + time.Second; got != 90*24*time.Hour {
		t.Errorf("validity: got %v, want 90 days", got)
	}
	if got, want := cert.IssuingCertificateURL, []string{testBaseURL + "/ca/ov.der"}; !slices.Equal(got, want) {
		t.Errorf("AIA: got %v, want %v", got, want)
	}
}

func TestIssueRejectsBadRequests(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP256))
	pub := leafKey(t, "p256").Public()
	manyNames := make([]string, 101)
	for i := range manyNames {
		manyNames[i] = "n" + big.NewInt(int64(i)).String() + ".example.com"
	}
	tests := []struct {
		name    string
		change  func(r *Request)
		wantKey bool // *KeyError rather than ErrInvalidRequest
		want    string
	}{
		{"unknown profile", func(r *Request) { r.Profile = "dv" }, false, `unknown profile "dv"`},
		{"no names", func(r *Request) { r.Names = nil }, false, "0 names"},
		{"101 names", func(r *Request) { r.Names = manyNames }, false, "101 names"},
		{"empty name", func(r *Request) { r.Names = []string{""} }, false, "empty"},
		{"duplicate name", func(r *Request) { r.Names = []string{"a.example.com", "a.example.com"} }, false, "twice"},
		{"upper-case name", func(r *Request) { r.Names = []string{"WWW.example.com"} }, false, "lower-case"},
		{"no organization", func(r *Request) { r.Subject.Organization = "" }, false, "organization is empty"},
		{"long organization", func(r *Request) { r.Subject.Organization = strings.Repeat("o", 65) }, false, "longer than 64"},
		{"no country", func(r *Request) { r.Subject.Country = "" }, false, "ISO 3166-1"},
		{"lower-case country", func(r *Request) { r.Subject.Country = "jp" }, false, "ISO 3166-1"},
		{"three-letter country", func(r *Request) { r.Subject.Country = "JPN" }, false, "ISO 3166-1"},
		{"no province nor locality", func(r *Request) { r.Subject.Province, r.Subject.Locality = "", "" }, false, "province (ST) or a locality"},
		{"invalid UTF-8 locality", func(r *Request) { r.Subject.Locality = "\xff" }, false, "UTF-8"},
		{"no key", func(r *Request) { r.PublicKey = nil }, true, "no public key"},
		{"P-521 key", func(r *Request) { r.PublicKey = p521Key(t) }, true, "P-521"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore(t)
			a2 := *a
			a2.store = store
			req := ovRequest(pub, "www.example.com")
			tt.change(&req)
			got, err := issue(t, &a2, req)
			if got != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, %v; want an error containing %q", got, err, tt.want)
			}
			var ke *KeyError
			if tt.wantKey != errors.As(err, &ke) || tt.wantKey == errors.Is(err, ErrInvalidRequest) {
				t.Errorf("error type: got %T %v, want KeyError=%v", err, err, tt.wantKey)
			}
			if store.calls != 0 {
				t.Errorf("store calls: got %d, want 0 (nothing reserved for a bad request)", store.calls)
			}
		})
	}
}

func TestIssueLintFailureKeepsSerialReserved(t *testing.T) {
	a, store := loadCAWith(t, sharedCA(t, KeyECDSAP256), noOCSP)
	pub := leafKey(t, "p256").Public()
	// ".invalidtld" is not in the public suffix list.
	_, err := issue(t, a, ovRequest(pub, "www.example.invalidtld"))
	var le *LintError
	if !errors.As(err, &le) || len(le.Lints) == 0 {
		t.Fatalf("got %v, want *LintError with lints", err)
	}
	if store.reserved() != 1 {
		t.Fatalf("reserved: got %d, want 1", store.reserved())
	}
	got, err := issue(t, a, ovRequest(pub, "www.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if store.reserved() != 2 {
		t.Errorf("reserved: got %d, want 2 (the failed serial is never reused)", store.reserved())
	}
	if _, ok := store.serials[got.Serial]; !ok {
		t.Errorf("issued serial %s was not reserved", got.Serial)
	}
}

// spySigner records how many serials were reserved when it was asked to sign.
type spySigner struct {
	crypto.Signer
	store    *memStore
	mu       sync.Mutex
	reserved []int
}

func (s *spySigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.Lock()
	s.reserved = append(s.reserved, s.store.reserved())
	s.mu.Unlock()
	return s.Signer.Sign(r, digest, opts)
}

func TestIssueReservesSerialBeforeSigning(t *testing.T) {
	// Without OCSP, so that the leaf's are the only signatures.
	a, store := loadCAWith(t, sharedCA(t, KeyECDSAP256), noOCSP)
	iss := *a.issuers[IssuerOV]
	real := &spySigner{Signer: iss.signer, store: store}
	lintSpy := &spySigner{Signer: iss.lintSigner, store: store}
	iss.signer, iss.lintSigner = real, lintSpy
	a.issuers = map[string]*issuer{IssuerOV: &iss, IssuerEV: a.issuers[IssuerEV]}

	if _, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com")); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lintSpy.reserved, []int{1}) || !slices.Equal(real.reserved, []int{1}) {
		t.Errorf("serials reserved at lint/real signing: got %v/%v, want [1]/[1]", lintSpy.reserved, real.reserved)
	}

	store.err = errors.New("database down")
	got, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
	if got != nil || !errors.Is(err, store.err) {
		t.Fatalf("with a failing store: got %v, %v; want the store error", got, err)
	}
	if len(lintSpy.reserved) != 1 || len(real.reserved) != 1 {
		t.Errorf("signatures with a failing store: got %d/%d, want none", len(lintSpy.reserved)-1, len(real.reserved)-1)
	}
}

func TestIssueRetriesSerialCollisions(t *testing.T) {
	tests := []struct {
		collide   int
		wantErr   bool
		wantCalls int
	}{
		{collide: 0, wantCalls: 1},
		{collide: 1, wantCalls: 2},
		{collide: 2, wantCalls: 3},
		{collide: 3, wantErr: true, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(big.NewInt(int64(tt.collide)).String()+" collisions", func(t *testing.T) {
			a, store := loadCAWith(t, sharedCA(t, KeyECDSAP256), noOCSP)
			store.collide = tt.collide
			got, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
			if tt.wantErr {
				if got != nil || !errors.Is(err, ErrSerialExists) {
					t.Errorf("got %v, %v; want ErrSerialExists", got, err)
				}
			} else if err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if store.calls != tt.wantCalls {
				t.Errorf("ReserveSerial calls: got %d, want %d", store.calls, tt.wantCalls)
			}
		})
	}
}

func TestIssueConcurrently(t *testing.T) {
	a, store := loadCA(t, sharedCA(t, KeyECDSAP256))
	const n = 16
	var wg sync.WaitGroup
	serials := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			got, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
			errs[i] = err
			if err == nil {
				serials[i] = got.Serial
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("issue %d: %v", i, err)
		}
	}
	slices.Sort(serials)
	// One delegated OCSP responder serves all the concurrent issuances.
	if len(slices.Compact(serials)) != n || store.reserved() != n+1 || len(store.responders) != 1 {
		t.Errorf("distinct serials: got %d (store %d, responders %d), want %d (%d, 1)",
			len(slices.Compact(serials)), store.reserved(), len(store.responders), n, n+1)
	}
}

func TestIssueRefusesBeyondIssuerExpiry(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP256)
	a, _ := loadCA(t, dir)
	ov, _ := a.IssuerCertificate(IssuerOV)
	late := ov.NotAfter.Add(-10 * 24 * time.Hour)
	b, err := Load(Options{Dir: dir, Store: newMemStore(t), BaseURL: testBaseURL, CRLShards: testCRLShards,
		Clock: func() time.Time { return late }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = issue(t, b, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
	if err == nil || !strings.Contains(err.Error(), "before the certificate would") {
		t.Errorf("got %v, want an issuer-expiry error", err)
	}
}

func TestSameTBS(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP256))
	pub := leafKey(t, "p256").Public()
	one, err := issue(t, a, ovRequest(pub, "www.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	two, err := issue(t, a, ovRequest(pub, "www.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		linted, real  []byte
		wantSame      bool
		wantMalformed bool
	}{
		{"same certificate", one.DER, one.DER, true, false},
		{"different serials", one.DER, two.DER, false, false},
		{"truncated", one.DER, one.DER[:len(one.DER)-1], false, true},
		{"trailing data", one.DER, append(slices.Clone(one.DER), 0), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sameTBS(tt.linted, tt.real)
			if (err == nil) != tt.wantSame {
				t.Errorf("got %v, want same=%v", err, tt.wantSame)
			}
			if err != nil && strings.Contains(err.Error(), "malformed") != tt.wantMalformed {
				t.Errorf("got %v, want malformed=%v", err, tt.wantMalformed)
			}
		})
	}
}

// TestAllowedWarningsAreNeeded keeps the allow-list short: every entry must
// be triggered by an ordinary OV leaf issued in one of the validity
// schedule's periods; every excluded lint must exist.
func TestAllowedWarningsAreNeeded(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP256)
	fired := map[string]bool{}
	for _, at := range []time.Time{testNow, time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2029, 4, 1, 0, 0, 0, 0, time.UTC)} {
		a, _ := loadCAWith(t, dir, func(o *Options) { o.Clock = func() time.Time { return at } })
		got, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
		if err != nil {
			t.Fatalf("issuing at %v: %v", at, err)
		}
		c, err := zx509.ParseCertificate(got.DER)
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range zlint.LintCertificate(c).Results {
			if r.Status == lint.Warn {
				fired[name] = true
			}
		}
	}
	for name := range allowedWarnings {
		if !fired[name] {
			t.Errorf("allowed warning %s never fires (drop it from the list)", name)
		}
	}
	for name := range excludedLints {
		if !slices.Contains(lint.GlobalRegistry().Names(), name) {
			t.Errorf("excluded lint %s does not exist in zlint", name)
		}
	}
}
