package ca

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kakuin/kakuin/internal/linttest"
)

// entriesOf returns a CRLRequest.Entries function emitting es.
func entriesOf(es ...CRLEntry) func(func(CRLEntry) error) error {
	return func(emit func(CRLEntry) error) error {
		for _, e := range es {
			if err := emit(e); err != nil {
				return err
			}
		}
		return nil
	}
}

// assertCRLZlintClean runs every zlint CRL lint over der, including the two
// the pre-issuance registry leaves out (excludedLints), and fails on
// errors, fatals and warnings.
func assertCRLZlintClean(t *testing.T, der []byte) {
	t.Helper()
	linttest.RevocationList(t, der)
}

func TestSignCRL(t *testing.T) {
	at := testNow.Add(-2 * time.Hour).Truncate(time.Second)
	entries := []CRLEntry{
		{Serial: "00" + "7f" + "0102030405060708090a0b0c0d0e0f101112", RevokedAt: at, Reason: ReasonUnspecified},
		{Serial: "7fffffffffffffffffffffffffffffffffffffff", RevokedAt: at.Add(time.Minute), Reason: ReasonKeyCompromise},
		{Serial: "00000000000000000000000000000000000000ff", RevokedAt: at.Add(2 * time.Minute), Reason: ReasonSuperseded},
		{Serial: "0000000000000000000000000000000000000001", RevokedAt: at, Reason: ReasonPrivilegeWithdrawn},
	}
	for _, key := range []string{KeyECDSAP384, KeyECDSAP256, KeyRSA2048} {
		t.Run(key, func(t *testing.T) {
			a, _ := loadCA(t, sharedCA(t, key))
			crl, err := a.SignCRL(context.Background(), CRLRequest{IssuerID: IssuerOV, Shard: 3, Number: 42, Entries: entriesOf(entries...)})
			if err != nil {
				t.Fatalf("SignCRL: %v", err)
			}
			issuer, _ := a.IssuerCertificate(IssuerOV)
			rl, err := x509.ParseRevocationList(crl.DER)
			if err != nil {
				t.Fatal(err)
			}
			if err := rl.CheckSignatureFrom(issuer); err != nil {
				t.Errorf("signature: %v", err)
			}
			wantThis := testNow.Truncate(time.Second)
			if !rl.ThisUpdate.Equal(wantThis) || !rl.NextUpdate.Equal(wantThis.Add(DefaultCRLValidity-time.Second)) {
				t.Errorf("validity: got %v..%v, want %v + 7 days inclusive", rl.ThisUpdate, rl.NextUpdate, wantThis)
			}
			if rl.Number.Cmp(big.NewInt(42)) != 0 || crl.Number != 42 || crl.Count != len(entries) {
				t.Errorf("number %v/%d count %d, want 42 and %d entries", rl.Number, crl.Number, crl.Count, len(entries))
			}
			if !bytes.Equal(rl.AuthorityKeyId, issuer.SubjectKeyId) || !bytes.Equal(rl.RawIssuer, issuer.RawSubject) {
				t.Errorf("AKI %x issuer %v, want %x %v", rl.AuthorityKeyId, rl.Issuer, issuer.SubjectKeyId, issuer.Subject)
			}
			if len(rl.RevokedCertificateEntries) != len(entries) {
				t.Fatalf("entries: got %d, want %d", len(rl.RevokedCertificateEntries), len(entries))
			}
			for i, e := range rl.RevokedCertificateEntries {
				w := entries[i]
				want, _ := new(big.Int).SetString(w.Serial, 16)
				if e.SerialNumber.Cmp(want) != 0 || !e.RevocationTime.Equal(w.RevokedAt) || e.ReasonCode != w.Reason {
					t.Errorf("entry %d: got %x %v %d, want %x %v %d", i, e.SerialNumber, e.RevocationTime, e.ReasonCode, want, w.RevokedAt, w.Reason)
				}
				if hasReason := len(e.Extensions) > 0; hasReason != (w.Reason != ReasonUnspecified) {
					t.Errorf("entry %d: reasonCode extension present %v for reason %d", i, hasReason, w.Reason)
				}
			}
			checkIDP(t, rl, a.CRLURL(IssuerOV, 3))
			assertCRLZlintClean(t, crl.DER)
		})
	}
}

// checkIDP checks the critical issuingDistributionPoint: fullName URI
// equal to url and onlyContainsUserCerts.
func checkIDP(t *testing.T, rl *x509.RevocationList, url string) {
	t.Helper()
	for _, e := range rl.Extensions {
		if !e.Id.Equal(oidExtIssuingDistribution) {
			continue
		}
		in := cryptobyte.String(e.Value)
		var seq, dp, full, uri, only cryptobyte.String
		ok := in.ReadASN1(&seq, cbasn1.SEQUENCE) && in.Empty() &&
			seq.ReadASN1(&dp, cbasn1.Tag(0).Constructed().ContextSpecific()) &&
			dp.ReadASN1(&full, cbasn1.Tag(0).Constructed().ContextSpecific()) && dp.Empty() &&
			full.ReadASN1(&uri, cbasn1.Tag(6).ContextSpecific()) && full.Empty() &&
			seq.ReadASN1(&only, cbasn1.Tag(1).ContextSpecific()) && seq.Empty()
		if !ok || !e.Critical || string(uri) != url || !bytes.Equal(only, []byte{0xff}) {
			t.Errorf("IDP %x: critical %v, URI %q, onlyContainsUserCerts %x; want critical, %q, ff", e.Value, e.Critical, uri, only, url)
		}
		return
	}
	t.Errorf("no issuingDistributionPoint extension")
}

func TestSignCRLEmpty(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP256))
	crl, err := a.SignCRL(context.Background(), CRLRequest{IssuerID: IssuerEV, Shard: 0, Number: 1, Entries: entriesOf()})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := x509.ParseRevocationList(crl.DER)
	if err != nil {
		t.Fatal(err)
	}
	issuer, _ := a.IssuerCertificate(IssuerEV)
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("signature: %v", err)
	}
	if len(rl.RevokedCertificateEntries) != 0 || crl.Count != 0 {
		t.Errorf("entries: got %d, want none", len(rl.RevokedCertificateEntries))
	}
	checkIDP(t, rl, a.CRLURL(IssuerEV, 0))
	assertCRLZlintClean(t, crl.DER)
}

func TestSignCRLBadInput(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP256))
	good := entriesOf(CRLEntry{Serial: "01", RevokedAt: testNow.Add(-time.Hour)})
	boom := errors.New("database gone")
	tests := []struct {
		name string
		req  CRLRequest
	}{
		{"unknown issuer", CRLRequest{IssuerID: "root", Number: 1, Entries: good}},
		{"zero number", CRLRequest{IssuerID: IssuerOV, Number: 0, Entries: good}},
		{"negative shard", CRLRequest{IssuerID: IssuerOV, Shard: -1, Number: 1, Entries: good}},
		{"shard too big", CRLRequest{IssuerID: IssuerOV, Shard: MaxCRLShards, Number: 1, Entries: good}},
		{"validity over 10 days", CRLRequest{IssuerID: IssuerOV, Number: 1, Validity: 241 * time.Hour, Entries: good}},
		{"no entries function", CRLRequest{IssuerID: IssuerOV, Number: 1}},
		{"revoked after thisUpdate", CRLRequest{IssuerID: IssuerOV, Number: 1, Entries: entriesOf(CRLEntry{Serial: "01", RevokedAt: testNow.Add(time.Hour)})}},
		{"serial not hex", CRLRequest{IssuerID: IssuerOV, Number: 1, Entries: entriesOf(CRLEntry{Serial: "zz", RevokedAt: testNow})}},
		{"serial zero", CRLRequest{IssuerID: IssuerOV, Number: 1, Entries: entriesOf(CRLEntry{Serial: "0000", RevokedAt: testNow})}},
		{"serial too long", CRLRequest{IssuerID: IssuerOV, Number: 1, Entries: entriesOf(CRLEntry{Serial: "01" + fmt.Sprintf("%040x", 1), RevokedAt: testNow})}},
		{"reason 7", CRLRequest{IssuerID: IssuerOV, Number: 1, Entries: entriesOf(CRLEntry{Serial: "01", RevokedAt: testNow, Reason: 7})}},
		{"source error", CRLRequest{IssuerID: IssuerOV, Number: 1, Entries: func(func(CRLEntry) error) error { return boom }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if crl, err := a.SignCRL(context.Background(), tt.req); err == nil {
				t.Errorf("got a CRL of %d bytes, want an error", len(crl.DER))
			}
		})
	}
}

func TestSerialBytes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"01", "01"},
		{"0001", "01"},
		{"80", "0080"},
		{"0080", "0080"},
		{"7fffffffffffffffffffffffffffffffffffffff", "7fffffffffffffffffffffffffffffffffffffff"},
		{"ffffffffffffffffffffffffffffffffffffffff", "00ffffffffffffffffffffffffffffffffffffffff"},
		{"00000000000000000000000000000000000000ff", "00ff"},
	}
	for _, tt := range tests {
		var buf [serialLen + 1]byte
		got, err := serialBytes(buf[:], tt.in)
		if err != nil || fmt.Sprintf("%x", got) != tt.want {
			t.Errorf("serialBytes(%s): got %x, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// BenchmarkSignCRL1M builds and signs a partition of 1,000,000 revoked
// entries with the P-384 issuer (lint-before-sign included) and reports
// the peak heap in use beside time and allocations.
func BenchmarkSignCRL1M(b *testing.B) {
	a, _ := loadCA(b, sharedCA(b, KeyECDSAP384))
	const n = 1_000_000
	at := testNow.Add(-time.Hour)
	walk := func(emit func(CRLEntry) error) error {
		for i := range n {
			if err := emit(CRLEntry{Serial: fmt.Sprintf("%040x", uint64(i)*0x9e3779b97f4a7c15|1<<63), RevokedAt: at, Reason: i % 2 * ReasonKeyCompromise}); err != nil {
				return err
			}
		}
		return nil
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		peak := trackPeakHeap()
		crl, err := a.SignCRL(context.Background(), CRLRequest{IssuerID: IssuerOV, Number: 1, Entries: walk})
		if err != nil {
			b.Fatal(err)
		}
		size = len(crl.DER)
		b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
	}
	b.ReportMetric(float64(size)/(1<<20), "crl-MiB")
}
