package ca

import (
	"context"
	"testing"
)

// BenchmarkIssue measures one issuance end to end: serial reservation in a
// map store, lint signature, zlint, real signature, TBS comparison. ECDSA
// P-384 issuer, ECDSA P-256 leaf key.
func BenchmarkIssue(b *testing.B) {
	a, _ := loadCA(b, sharedCA(b, KeyECDSAP384))
	req := ovRequest(leafKey(b, "p256").Public(), "www.example.com", "example.com")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Issue(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueParallel is BenchmarkIssue from GOMAXPROCS goroutines.
func BenchmarkIssueParallel(b *testing.B) {
	a, _ := loadCA(b, sharedCA(b, KeyECDSAP384))
	req := ovRequest(leafKey(b, "p256").Public(), "www.example.com", "example.com")
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Issue(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLint isolates the zlint share of BenchmarkIssue.
func BenchmarkLint(b *testing.B) {
	a, _ := loadCA(b, sharedCA(b, KeyECDSAP384))
	got, err := a.Issue(context.Background(), ovRequest(leafKey(b, "p256").Public(), "www.example.com", "example.com"))
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
