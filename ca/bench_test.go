package ca

import (
	"context"
	"sync"
	"testing"

	"github.com/kakuin/kakuin/internal/linttest"
)

// BenchmarkIssue measures one issuance end to end: serial reservation in a
// map store, lint signature, zlint, real signature, TBS comparison. ECDSA
// P-384 issuer, ECDSA P-256 leaf key. The last certificate is linted with
// linttest after the timed loop.
func BenchmarkIssue(b *testing.B) {
	a, _ := loadCA(b, sharedCA(b, KeyECDSAP384))
	req := ovRequest(leafKey(b, "p256").Public(), "www.example.com", "example.com")
	ctx := context.Background()
	b.ReportAllocs()
	var last *Issued
	for b.Loop() {
		got, err := a.Issue(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		last = got
	}
	linttest.Certificate(b, last.DER, linttest.Subscriber)
}

// BenchmarkIssueParallel is BenchmarkIssue from GOMAXPROCS goroutines.
func BenchmarkIssueParallel(b *testing.B) {
	a, _ := loadCA(b, sharedCA(b, KeyECDSAP384))
	req := ovRequest(leafKey(b, "p256").Public(), "www.example.com", "example.com")
	ctx := context.Background()
	b.ReportAllocs()
	var last sync.Map // one certificate per goroutine, linted after the timed loop
	b.RunParallel(func(pb *testing.PB) {
		var got *Issued
		for pb.Next() {
			var err error
			if got, err = a.Issue(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
		if got != nil {
			last.Store(got.Serial, got.DER)
		}
	})
	b.StopTimer()
	last.Range(func(_, der any) bool {
		linttest.Certificate(b, der.([]byte), linttest.Subscriber)
		return true
	})
}

// BenchmarkLint isolates the zlint share of BenchmarkIssue.
func BenchmarkLint(b *testing.B) {
	a, _ := loadCA(b, sharedCA(b, KeyECDSAP384))
	got, err := issue(b, a, ovRequest(leafKey(b, "p256").Public(), "www.example.com", "example.com"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := lintCertificate(got.DER, a.lints, false); err != nil {
			b.Fatal(err)
		}
	}
}
