package linttest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmap/zlint/v3/lint"
	"golang.org/x/crypto/ocsp"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/linttest"
)

// testNow is the clock of the CA these tests issue from.
var testNow = time.Date(2026, time.November, 25, 10, 30, 0, 0, time.UTC)

// memStore is a ca.Store in memory.
type memStore struct{}

func (memStore) ReserveSerial(context.Context, string, string, time.Time) error { return nil }
func (memStore) RecordResponderCertificate(context.Context, ca.ResponderCertificate) error {
	return nil
}

// fixture is what a real kakuin CA issued: an OV leaf, its first OCSP
// response, a CRL with one entry, and the issuing CA.
type fixture struct {
	leaf   []byte
	ocsp   []byte
	crl    []byte
	issuer *x509.Certificate
	// lintKey re-signs changed copies of the leaf as issuer would (same
	// subject and key identifier, another key), to make bad certificates.
	lintKey    crypto.Signer
	lintParent *x509.Certificate
	// lintCA is a self-signed CA with lintKey, to sign OCSP responses.
	lintCA *x509.Certificate
}

var (
	fixtureOnce sync.Once
	fixtureVal  *fixture
	fixtureErr  error
)

// issued returns the shared fixture, issued once per test binary.
func issued(t *testing.T) *fixture {
	t.Helper()
	fixtureOnce.Do(func() { fixtureVal, fixtureErr = newFixture(t.TempDir()) })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureVal
}

func newFixture(dir string) (*fixture, error) {
	dir = filepath.Join(dir, "ca")
	clock := func() time.Time { return testNow }
	if err := ca.Init(ca.InitOptions{Dir: dir, KeyType: ca.KeyECDSAP256, BaseURL: "http://ca.example.com", Clock: clock}); err != nil {
		return nil, err
	}
	a, err := ca.Load(ca.Options{Dir: dir, Store: memStore{}, BaseURL: "http://ca.example.com", Clock: clock,
		CRLShards: 2, OCSPURL: "http://ca.example.com/ocsp"})
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	iss, err := a.Issue(context.Background(), ca.Request{Profile: ca.ProfileOV, PublicKey: key.Public(),
		Names: []string{"www.example.com"}, Subject: ca.Subject{Organization: "Example KK", Country: "JP", Province: "Tokyo"}})
	if err != nil {
		return nil, err
	}
	crl, err := a.SignCRL(context.Background(), ca.CRLRequest{IssuerID: iss.IssuerID, Shard: iss.CRLShard, Number: 1,
		Entries: func(emit func(ca.CRLEntry) error) error {
			return emit(ca.CRLEntry{Serial: iss.Serial, RevokedAt: testNow, Reason: 1})
		}})
	if err != nil {
		return nil, err
	}
	issuer, _ := a.IssuerCertificate(iss.IssuerID)
	lintKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lint CA"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, lintKey.Public(), lintKey)
	if err != nil {
		return nil, err
	}
	lintCA, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	return &fixture{leaf: iss.DER, ocsp: iss.OCSP.SHA256, crl: crl.DER, issuer: issuer, lintKey: lintKey, lintCA: lintCA,
		lintParent: &x509.Certificate{RawSubject: issuer.RawSubject, SubjectKeyId: issuer.SubjectKeyId, PublicKey: lintKey.Public()}}, nil
}

// changed re-signs the fixture's leaf after change edited it.
func (f *fixture) changed(t *testing.T, change func(*x509.Certificate)) []byte {
	t.Helper()
	tmpl, err := x509.ParseCertificate(f.leaf)
	if err != nil {
		t.Fatal(err)
	}
	change(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.lintParent, tmpl.PublicKey, f.lintKey)
	if err != nil {
		t.Fatalf("re-signing the changed leaf: %v", err)
	}
	return der
}

// lintNames returns the names of the findings of a Check error.
func lintNames(t *testing.T, err error) []string {
	t.Helper()
	var le *linttest.Error
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a *linttest.Error", err)
	}
	var names []string
	for _, f := range le.Findings {
		names = append(names, f.Lint)
	}
	return names
}

// TestCertificateIssuedLeaf: a leaf kakuin issues is clean with the
// Subscriber allowance, and without it the check reports exactly the
// warnings Subscriber lists as triggered on purpose at the fixture's date.
func TestCertificateIssuedLeaf(t *testing.T) {
	f := issued(t)
	if err := linttest.CheckCertificate(f.leaf, linttest.Subscriber); err != nil {
		t.Errorf("with Subscriber: got %v, want nil", err)
	}
	err := linttest.CheckCertificate(f.leaf)
	want := []string{
		"w_ext_subject_key_identifier_missing_sub_cert",
		"w_server_cert_valid_time_longer_than_199_days",
		"w_subject_common_name_included",
	}
	if got := lintNames(t, err); !slices.Equal(got, want) {
		t.Errorf("without allowance: got %v, want %v", got, want)
	}
	for _, w := range want {
		if _, ok := linttest.Subscriber.Warnings[w]; !ok {
			t.Errorf("Subscriber does not allow %s", w)
		}
	}
	if !strings.Contains(err.Error(), "www.example.com") || !strings.Contains(err.Error(), "(warn, CABF_BR)") {
		t.Errorf("error text: got %q, want the certificate's subject and each finding's status and source", err)
	}
}

// TestCertificateBad: certificates that break a rule fail the check, each
// naming the lint that caught it, whatever is allowed.
func TestCertificateBad(t *testing.T) {
	f := issued(t)
	ou, err := asn1.Marshal(pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "JP"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Example KK"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Web"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "www.example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*x509.Certificate)
		want   string
	}{
		{"no certificate policies", func(c *x509.Certificate) { c.Policies, c.PolicyIdentifiers = nil, nil },
			"e_sub_cert_certificate_policies_missing"},
		{"loopback address in the SAN", func(c *x509.Certificate) { c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)} },
			"e_ext_san_contains_reserved_ip"},
		{"organizational unit", func(c *x509.Certificate) { c.RawSubject = ou },
			"e_organizational_unit_name_prohibited"},
		{"201 days", func(c *x509.Certificate) { c.NotAfter = c.NotBefore.Add(201*24*time.Hour - time.Second) },
			"e_server_cert_valid_time_longer_than_200_days"},
		{"keyEncipherment with an ECDSA key", func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageKeyEncipherment },
			"e_ecdsa_allowed_ku"},
		{"no SAN", func(c *x509.Certificate) { c.DNSNames = nil }, "e_ext_san_missing"},
		{"CN not in the SAN", func(c *x509.Certificate) { c.DNSNames = []string{"shop.example.com"} },
			"e_subject_common_name_not_exactly_from_san"},
		{"no AIA", func(c *x509.Certificate) { c.IssuingCertificateURL, c.OCSPServer = nil, nil },
			"e_sub_cert_aia_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der := f.changed(t, tt.change)
			err := linttest.CheckCertificate(der, linttest.Subscriber, linttest.Dev, linttest.EndEntity)
			if got := lintNames(t, err); !slices.Contains(got, tt.want) {
				t.Errorf("got %v, want %s among them", got, tt.want)
			}
		})
	}
}

// TestCertificateUnparsable: bytes zcrypto cannot parse fail the check.
func TestCertificateUnparsable(t *testing.T) {
	f := issued(t)
	for name, der := range map[string][]byte{"empty": nil, "truncated": f.leaf[:len(f.leaf)-10], "a CRL": f.crl} {
		t.Run(name, func(t *testing.T) {
			err := linttest.CheckCertificate(der, linttest.Subscriber)
			if err == nil || !strings.Contains(err.Error(), "cannot parse") {
				t.Errorf("got %v, want a parse error", err)
			}
		})
	}
}

// TestAllowTypos: an allowance naming no zlint lint or source fails the
// check instead of silently allowing nothing.
func TestAllowTypos(t *testing.T) {
	f := issued(t)
	tests := []struct {
		name  string
		allow linttest.Allow
		want  string
	}{
		{"unknown warning", linttest.Allow{Warnings: map[string]string{"w_no_such_lint": "typo"}}, "w_no_such_lint"},
		{"error as a warning", linttest.Allow{Warnings: map[string]string{"e_sub_cert_aia_missing": "errors always fail"}}, "e_sub_cert_aia_missing"},
		{"unknown source", linttest.Allow{Sources: map[lint.LintSource]string{"CABF_XX": "typo"}}, "CABF_XX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := linttest.CheckCertificate(f.leaf, linttest.Subscriber, tt.allow)
			if got := lintNames(t, err); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("got %v, want [%s]", got, tt.want)
			}
		})
	}
}

// TestPrivate: a certificate outside the Web PKI (a localhost server
// certificate without policy, AIA or CRL) fails the BR lints, and passes
// with the Private allowance, under which the RFC 5280 lints still run.
func TestPrivate(t *testing.T) {
	f := issued(t)
	der := f.changed(t, func(c *x509.Certificate) {
		c.RawSubject = nil
		c.Subject = pkix.Name{CommonName: "localhost"}
		c.DNSNames, c.IPAddresses = []string{"localhost"}, []net.IP{net.IPv6loopback}
		c.Policies, c.PolicyIdentifiers, c.IssuingCertificateURL, c.OCSPServer, c.CRLDistributionPoints = nil, nil, nil, nil, nil
	})
	if err := linttest.CheckCertificate(der, linttest.EndEntity); !slices.Contains(lintNames(t, err), "e_ext_san_contains_reserved_ip") {
		t.Errorf("without Private: got %v, want the BR's e_ext_san_contains_reserved_ip", err)
	}
	if err := linttest.CheckCertificate(der, linttest.Private, linttest.EndEntity); err != nil {
		t.Errorf("with Private: got %v, want nil", err)
	}
	// An RFC 5280 violation still fails under Private: an empty EKU.
	bad := f.changed(t, func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: false, Value: []byte{0x30, 0x00}}}
		c.ExtKeyUsage = nil
	})
	err := linttest.CheckCertificate(bad, linttest.Private, linttest.EndEntity)
	if got := lintNames(t, err); !slices.Equal(got, []string{"e_ext_cannot_be_empty_sequence"}) {
		t.Errorf("an empty EKU under Private: got %v, want [e_ext_cannot_be_empty_sequence]", got)
	}
}

// recorder is a testing.TB that records what the helpers report.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.TB.Fatalf("the helper called Fatalf (%s); it must only report", fmt.Sprintf(format, args...))
}

// TestHelpersReport: the reporting helpers fail the test through Errorf,
// once per bad object, naming every finding; they stay silent on clean
// objects.
func TestHelpersReport(t *testing.T) {
	f := issued(t)
	noAIA := f.changed(t, func(c *x509.Certificate) { c.IssuingCertificateURL, c.OCSPServer = nil, nil })
	var chain []byte
	for _, der := range [][]byte{f.leaf, noAIA} {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	tests := []struct {
		name string
		run  func(testing.TB)
		want []string // one substring per expected report; none for a clean object
	}{
		{"clean certificate", func(tb testing.TB) { linttest.Certificate(tb, f.leaf, linttest.Subscriber) }, nil},
		{"certificate with warnings", func(tb testing.TB) { linttest.Certificate(tb, f.leaf) },
			[]string{"w_server_cert_valid_time_longer_than_199_days"}},
		{"bad certificate", func(tb testing.TB) { linttest.Certificate(tb, noAIA, linttest.Subscriber) },
			[]string{"e_sub_cert_aia_missing"}},
		{"clean CRL", func(tb testing.TB) { linttest.RevocationList(tb, f.crl) }, nil},
		{"not a CRL", func(tb testing.TB) { linttest.RevocationList(tb, f.leaf) }, []string{"cannot parse the CRL"}},
		{"clean OCSP response", func(tb testing.TB) { linttest.OCSPResponse(tb, f.ocsp, f.issuer) }, nil},
		{"OCSP response of another issuer", func(tb testing.TB) { linttest.OCSPResponse(tb, f.ocsp, f.lintParent) },
			[]string{"cannot parse the OCSP response"}},
		{"PEM chain, second bad", func(tb testing.TB) { linttest.PEM(tb, chain, linttest.Subscriber) },
			[]string{"e_sub_cert_aia_missing"}},
		{"PEM without certificate", func(tb testing.TB) { linttest.PEM(tb, []byte("nothing")) },
			[]string{"no CERTIFICATE block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			tt.run(r)
			if len(r.errors) != len(tt.want) {
				t.Fatalf("reports: got %d %q, want %d", len(r.errors), r.errors, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(r.errors[i], w) {
					t.Errorf("report %d: got %q, want it to contain %q", i, r.errors[i], w)
				}
			}
		})
	}
}

// TestHelpersFromGoroutines: reports may come from other goroutines (an
// ACME server's handlers) while the test runs.
func TestHelpersFromGoroutines(t *testing.T) {
	f := issued(t)
	r := &recorder{TB: t}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { linttest.Certificate(r, f.leaf) })
	}
	wg.Wait()
	if len(r.errors) != 8 {
		t.Errorf("reports: got %d, want 8", len(r.errors))
	}
}

// TestRevocationListBad: CRLs that break a rule fail the check.
func TestRevocationListBad(t *testing.T) {
	f := issued(t)
	base := func() *x509.RevocationList {
		return &x509.RevocationList{
			Number:     big.NewInt(1),
			ThisUpdate: testNow,
			NextUpdate: testNow.Add(7 * 24 * time.Hour),
			RevokedCertificateEntries: []x509.RevocationListEntry{
				{SerialNumber: big.NewInt(0x1234), RevocationTime: testNow.Add(-time.Hour), ReasonCode: 1},
			},
		}
	}
	tests := []struct {
		name   string
		change func(*x509.RevocationList)
		want   string
	}{
		{"clean", func(*x509.RevocationList) {}, ""},
		{"nextUpdate 11 days on", func(rl *x509.RevocationList) { rl.NextUpdate = testNow.Add(11 * 24 * time.Hour) },
			"e_crl_next_update_invalid"},
		{"certificateHold", func(rl *x509.RevocationList) { rl.RevokedCertificateEntries[0].ReasonCode = 6 },
			"e_cab_crl_has_valid_reason_code"},
		{"revoked after thisUpdate", func(rl *x509.RevocationList) {
			rl.RevokedCertificateEntries[0].RevocationTime = testNow.Add(time.Hour)
		}, "e_crl_revocation_time_after_this_update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := base()
			tt.change(tmpl)
			der, err := x509.CreateRevocationList(rand.Reader, tmpl, f.lintParentCA(), f.lintKey)
			if err != nil {
				t.Fatal(err)
			}
			err = linttest.CheckRevocationList(der)
			if tt.want == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if got := lintNames(t, err); !slices.Contains(got, tt.want) {
				t.Errorf("got %v, want %s among them", got, tt.want)
			}
		})
	}
}

// lintParentCA is lintParent as a CRL issuer (Go wants cRLSign).
func (f *fixture) lintParentCA() *x509.Certificate {
	p := *f.lintParent
	p.KeyUsage = x509.KeyUsageCRLSign
	return &p
}

// TestOCSPResponseBad: an OCSP response whose thisUpdate is after its
// producedAt fails the check.
func TestOCSPResponseBad(t *testing.T) {
	f := issued(t)
	tests := []struct {
		name       string
		thisUpdate time.Time
		want       string
	}{
		{"thisUpdate an hour ago", time.Now().Add(-time.Hour), ""},
		{"thisUpdate tomorrow", time.Now().Add(24 * time.Hour), "e_this_update_not_after_produced_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := ocsp.CreateResponse(f.lintCA, f.lintCA, ocsp.Response{Status: ocsp.Good, SerialNumber: big.NewInt(0x1234),
				ThisUpdate: tt.thisUpdate, NextUpdate: tt.thisUpdate.Add(96 * time.Hour)}, f.lintKey)
			if err != nil {
				t.Fatal(err)
			}
			err = linttest.CheckOCSPResponse(der, f.lintCA)
			if tt.want == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if got := lintNames(t, err); !slices.Contains(got, tt.want) {
				t.Errorf("got %v, want %s among them", got, tt.want)
			}
		})
	}
}

// TestPresetsNameRealLints: every allowance this package exports names
// lints and sources zlint has (CheckCertificate also checks at each use).
func TestPresetsNameRealLints(t *testing.T) {
	reg := lint.GlobalRegistry()
	for name, a := range map[string]linttest.Allow{"Subscriber": linttest.Subscriber, "Dev": linttest.Dev,
		"EndEntity": linttest.EndEntity, "Private": linttest.Private} {
		for w, why := range a.Warnings {
			if reg.CertificateLints().ByName(w) == nil || !strings.HasPrefix(w, "w_") || why == "" {
				t.Errorf("%s: warning %s (%q) is not a zlint certificate warning with a reason", name, w, why)
			}
		}
		for src, why := range a.Sources {
			if !slices.Contains(reg.Sources(), src) || why == "" {
				t.Errorf("%s: source %s (%q) is not a zlint source with a reason", name, src, why)
			}
		}
	}
}
