package ca

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestMaxValidity(t *testing.T) {
	day := 24 * time.Hour
	for _, tt := range []struct {
		at   time.Time
		want time.Duration
	}{
		{time.Date(2026, 3, 14, 23, 59, 59, 0, time.UTC), 398 * day},
		{time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), 200 * day},
		{time.Date(2027, 3, 14, 23, 59, 59, 0, time.UTC), 200 * day},
		{time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC), 100 * day},
		{time.Date(2029, 3, 14, 23, 59, 59, 0, time.UTC), 100 * day},
		{time.Date(2029, 3, 15, 0, 0, 0, 0, time.UTC), 47 * day},
		{time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC), 47 * day},
	} {
		if got := MaxValidity(tt.at); got != tt.want {
			t.Errorf("MaxValidity(%v): got %v, want %v", tt.at, got, tt.want/day)
		}
	}
}

// TestIssueFollowsValiditySchedule issues with the clock on either side of
// 2027-03-15: the validity, counted inclusively, drops from 200 to 100
// days; a configured shorter validity stays, a longer one is capped.
func TestIssueFollowsValiditySchedule(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP384)
	day := 24 * time.Hour
	for _, tt := range []struct {
		name       string
		now        time.Time
		configured time.Duration
		want       time.Duration
	}{
		{"the day before", time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC), 0, 200 * day},
		{"from 2027-03-15", time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC), 0, 100 * day},
		{"configured shorter", time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC), 30 * day, 30 * day},
		{"configured longer is capped", time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC), 200 * day, 100 * day},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := loadCAWith(t, dir, func(o *Options) {
				o.Clock = func() time.Time { return tt.now }
				o.Validity = tt.configured
			})
			issued, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			cert, err := x509.ParseCertificate(issued.DER)
			if err != nil {
				t.Fatal(err)
			}
			if got := cert.NotAfter.Sub(cert.NotBefore) + time.Second; got != tt.want {
				t.Errorf("validity, counted inclusively: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestIssueAt2029 issues at the last step of the schedule: 47 days.
func TestIssueAt2029(t *testing.T) {
	now := time.Date(2029, 3, 15, 0, 0, 1, 0, time.UTC)
	a, _ := loadCAWith(t, sharedCA(t, KeyECDSAP384), func(o *Options) { o.Clock = func() time.Time { return now } })
	issued, err := issue(t, a, ovRequest(leafKey(t, "p256").Public(), "www.example.com"))
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	cert, _ := x509.ParseCertificate(issued.DER)
	if got := cert.NotAfter.Sub(cert.NotBefore) + time.Second; got != 47*24*time.Hour {
		t.Errorf("validity: got %v, want 47 days", got)
	}
}
