package validation

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/internal/testdns"
)

// dnsDigest is the dns-01 TXT value for keyAuth (RFC 8555 §8.4).
func dnsDigest(keyAuth string) string {
	sum := sha256.Sum256([]byte(keyAuth))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestDNS01(t *testing.T) {
	good := dnsDigest(testKeyAuth)
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprintf("%02d-%s", i, strings.Repeat("z", 60)))
	}
	tests := []struct {
		name       string
		setup      func(s *testdns.Server)
		ident      string
		wantType   string
		wantDetail string
	}{
		{
			name:  "correct TXT",
			setup: func(s *testdns.Server) { s.SetTXT("_acme-challenge.example.test", good) },
			ident: "example.test",
		},
		{
			name:  "correct TXT among others",
			setup: func(s *testdns.Server) { s.SetTXT("_acme-challenge.example.test", "other", good, "more") },
			ident: "Example.TEST.",
		},
		{
			name:  "wildcard validates the base name",
			setup: func(s *testdns.Server) { s.SetTXT("_acme-challenge.example.test", good) },
			ident: "*.example.test",
		},
		{
			name:  "answer too big for UDP falls back to TCP",
			setup: func(s *testdns.Server) { s.SetTXT("_acme-challenge.example.test", append(many, good)...) },
			ident: "example.test",
		},
		{
			name:       "wrong TXT",
			setup:      func(s *testdns.Server) { s.SetTXT("_acme-challenge.example.test", "wrong-value") },
			ident:      "example.test",
			wantType:   ProblemIncorrectResponse,
			wantDetail: `incorrect TXT record ["wrong-value"] found at _acme-challenge.example.test`,
		},
		{
			name:       "digest of another key authorization",
			setup:      func(s *testdns.Server) { s.SetTXT("_acme-challenge.example.test", dnsDigest(testToken+".other")) },
			ident:      "example.test",
			wantType:   ProblemIncorrectResponse,
			wantDetail: "incorrect TXT record",
		},
		{
			name: "no TXT at an existing name",
			setup: func(s *testdns.Server) {
				s.SetA("_acme-challenge.example.test", "192.0.2.1")
			},
			ident:      "example.test",
			wantType:   ProblemUnauthorized,
			wantDetail: "no TXT record found at _acme-challenge.example.test",
		},
		{
			name:       "NXDOMAIN",
			setup:      func(s *testdns.Server) {},
			ident:      "example.test",
			wantType:   ProblemDNS,
			wantDetail: "NXDOMAIN looking up TXT for _acme-challenge.example.test",
		},
		{
			name:       "IP address identifier",
			setup:      func(s *testdns.Server) {},
			ident:      "192.0.2.1",
			wantType:   ProblemRejectedIdentifier,
			wantDetail: "is an IP address",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dns := testdns.StartT(t)
			tt.setup(dns)
			v := newValidator(t, dns, Options{})
			err := v.Validate(t.Context(), ChallengeDNS01, tt.ident, testToken, testKeyAuth)
			checkProblem(t, err, tt.wantType, tt.wantDetail)
		})
	}
}

func TestDNS01ResolverFailures(t *testing.T) {
	// A UDP port nothing listens on: the kernel answers "port unreachable".
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()

	t.Run("resolver unreachable", func(t *testing.T) {
		v, err := New(Options{Resolver: closed})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		err = v.Validate(t.Context(), ChallengeDNS01, "example.test", testToken, testKeyAuth)
		checkProblem(t, err, ProblemDNS, "looking up TXT for _acme-challenge.example.test")
	})
	t.Run("context already canceled", func(t *testing.T) {
		dns := testdns.StartT(t)
		dns.SetTXT("_acme-challenge.example.test", dnsDigest(testKeyAuth))
		v := newValidator(t, dns, Options{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := v.Validate(ctx, ChallengeDNS01, "example.test", testToken, testKeyAuth)
		checkProblem(t, err, ProblemDNS, "canceled looking up TXT")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(err, context.Canceled): got false, want true (err %v)", err)
		}
	})
}
